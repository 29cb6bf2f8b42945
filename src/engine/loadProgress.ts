// Loading progress as people and progress bars want it: each phase's own count, the whole load as
// one fraction that never goes back, and a sentence.
import type { LoadPhase, LoadProgress, LoadUnit } from './types.ts';

/** A phase's own count, as the cache, the converter and the model report it. */
export interface PhaseProgress {
  phase: LoadPhase;
  done: number;
  total: number;
  file?: string;
}

const UNIT: Record<LoadPhase, LoadUnit> = {
  download: 'bytes',
  verify: 'bytes',
  convert: 'tensors',
  upload: 'tensors',
  compile: 'kernels',
  warmup: 'passes',
};

/**
 * Stages run one after another; the phases of a stage run together or instead of each other.
 * `weight` is a rough share of a load's time, so that the bar moves at about an even pace;
 * `phases` split a stage's share between its phases.
 */
const STAGES: { weight: number; phases: Partial<Record<LoadPhase, number>> }[] = [
  // the model's shards: downloaded and verified (our format), or converted (a Hugging Face checkpoint)
  { weight: 60, phases: { download: 0.9, verify: 0.1, convert: 1 } },
  { weight: 25, phases: { upload: 1 } },
  { weight: 10, phases: { compile: 1 } },
  { weight: 5, phases: { warmup: 1 } },
];

/** Byte counts for people, in decimal units: 812 kB, 5.9 MB, 1.19 GB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

/**
 * Turns the phases' own counts into LoadProgress reports. A stage's share of the whole is fixed when
 * its first report comes, from its weight and those of the stages after it, so stages a load skips
 * (a download, when the model is cached) leave no gap and the fraction ends at 1.
 */
export class LoadProgressReporter {
  private stage = -1;
  private stageStart = 0;
  private stageSpan = 0;
  private fraction = 0;
  /** The latest count of each phase of the current stage. */
  private readonly counts = new Map<LoadPhase, { done: number; total: number }>();

  constructor(private readonly report: (p: LoadProgress) => void) {}

  update(p: PhaseProgress): void {
    const index = STAGES.findIndex((s) => p.phase in s.phases);
    if (index > this.stage) {
      const rest = STAGES.slice(index).reduce((n, s) => n + s.weight, 0);
      this.stage = index;
      this.stageStart = this.fraction;
      this.stageSpan = ((1 - this.stageStart) * STAGES[index].weight) / rest;
      this.counts.clear();
    }
    if (index === this.stage) {
      this.counts.set(p.phase, { done: p.done, total: p.total });
      const shares = STAGES[index].phases;
      const within = [...this.counts].reduce(
        (n, [phase, c]) => n + shares[phase]! * (c.total > 0 ? Math.min(1, c.done / c.total) : 1),
        0,
      );
      const last = index === STAGES.length - 1 && within >= 1;
      this.fraction = last ? 1 : Math.max(this.fraction, Math.min(1, this.stageStart + this.stageSpan * within));
    }
    this.report({
      phase: p.phase,
      done: p.done,
      total: p.total,
      unit: UNIT[p.phase],
      fraction: this.fraction,
      text: this.describe(p),
      ...(p.file === undefined ? {} : { file: p.file }),
    });
  }

  private describe(p: PhaseProgress): string {
    switch (p.phase) {
      case 'download':
      case 'verify': {
        // shards are verified while others download; once all have arrived, only checking is left
        const download = this.counts.get('download') ?? { done: 0, total: 0 };
        const verify = this.counts.get('verify');
        if (verify && download.done >= download.total && verify.done < verify.total)
          return `Verifying the download: ${formatBytes(verify.done)} of ${formatBytes(verify.total)}`;
        return `Downloading the model: ${formatBytes(download.done)} of ${formatBytes(download.total)}${verify ? ` (${formatBytes(verify.done)} verified)` : ''}`;
      }
      case 'convert':
        return `Converting the checkpoint: ${p.done} of ${p.total} tensors`;
      case 'upload':
        return `Placing the weights on the GPU: ${p.done} of ${p.total} tensors`;
      case 'compile':
        return `Compiling GPU kernels: ${p.done} of ${p.total}`;
      case 'warmup':
        return `Warming up the GPU kernels: ${p.done} of ${p.total} passes`;
    }
  }
}
