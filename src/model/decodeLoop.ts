// The decode loop: a prompt's prefill passes, then one submission per decode step. The chosen
// token goes from the sampler to the next step's embedding lookup on the GPU, and a few steps are
// kept in flight while the ids of earlier ones are read back.
import { isGreedy, samplingUniform, type SamplingParams } from '../kernels/sample.ts';
import type { PassRunner } from './passRunner.ts';
import type { PassOutput } from './schedule.ts';

/** Ring of 4-byte read-back buffers: one per decode step in flight. */
const READBACK_SLOTS = 8;

export interface DecodeOptions {
  sampling: SamplingParams;
  /** Stop after any of these ids (it is yielded). */
  stopIds: ReadonlySet<number>;
  /** Tokens the repetition penalty counts as seen (default: the prompt); generated ones are added on the GPU. */
  penaltyTokens?: readonly number[];
  /** Decode steps submitted ahead of the one being read back (default 4, at most READBACK_SLOTS - 1). */
  lookahead?: number;
}

/** The sampler's buffers: its parameter uniform and the bitmap of seen token ids. */
export interface SamplerBuffers {
  params: GPUBuffer;
  seen: GPUBuffer;
  vocabSize: number;
}

export class DecodeLoop {
  private readonly slots: GPUBuffer[];

  /** `whileDeviceAlive` awaits a read-back, failing with DeviceLostError if the device is lost meanwhile. */
  constructor(
    private readonly device: GPUDevice,
    private readonly runner: PassRunner,
    private readonly sampler: SamplerBuffers,
    private readonly whileDeviceAlive: <T>(work: Promise<T>) => Promise<T>,
  ) {
    this.slots = Array.from({ length: READBACK_SLOTS }, (_, i) =>
      device.createBuffer({ label: `readback${i}`, size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
  }

  /**
   * Appends `prompt` (checked by the caller) to the cache and yields up to `maxTokens` new ids,
   * stopping after a stop id. Breaking out of the loop leaves the cache consistent: it holds the
   * prompt and every consumed token but the last; steps run ahead are dropped.
   */
  async *stream(prompt: readonly number[], maxTokens: number, o: DecodeOptions): AsyncGenerator<number, void, void> {
    const output: PassOutput = isGreedy(o.sampling) ? 'argmax' : 'sample';
    if (output === 'sample') {
      const { params, seen, vocabSize } = this.sampler;
      this.device.queue.writeBuffer(params, 0, samplingUniform(vocabSize, o.sampling));
      const bitmap = new Uint32Array(Math.ceil(vocabSize / 32));
      for (const id of o.penaltyTokens ?? prompt) bitmap[id >>> 5] |= 1 << (id & 31);
      this.device.queue.writeBuffer(seen, 0, bitmap);
    }
    const lookahead = Math.max(1, Math.min(o.lookahead ?? 4, READBACK_SLOTS - 1));
    const firstPosition = this.runner.position + prompt.length;
    for (let start = 0; start < prompt.length; start += this.runner.prefillChunk) {
      const chunk = prompt.slice(start, start + this.runner.prefillChunk);
      const last = start + chunk.length === prompt.length;
      this.runner.run(chunk, last ? output : 'none', 0, last ? this.slot(0) : undefined);
    }
    let submitted = 1;
    let yielded = 0;
    try {
      while (yielded < maxTokens) {
        for (; submitted < Math.min(maxTokens, yielded + 1 + lookahead); submitted++)
          this.runner.run(null, output, submitted, this.slot(submitted));
        const id = await this.read(yielded);
        yielded++;
        yield id;
        if (o.stopIds.has(id)) return;
      }
    } finally {
      this.runner.position = firstPosition + Math.max(yielded - 1, 0);
    }
  }

  destroy(): void {
    for (const slot of this.slots) slot.destroy();
  }

  private slot(step: number): GPUBuffer {
    return this.slots[step % READBACK_SLOTS];
  }

  /** The id generated at decode step `step`, from its read-back slot (filled by the step's own submission). */
  private async read(step: number): Promise<number> {
    const slot = this.slot(step);
    await this.whileDeviceAlive(slot.mapAsync(GPUMapMode.READ));
    const id = new Uint32Array(slot.getMappedRange())[0];
    slot.unmap();
    return id;
  }
}
