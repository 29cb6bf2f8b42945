// Board power of NVIDIA GPU 0, sampled by `nvidia-smi` in a child process beside the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import type { PowerMeter } from './runBenchmark.ts';

export interface NvidiaPowerMeter extends PowerMeter {
  stop(): void;
}

/** Starts sampling every `intervalMs`; resolves to undefined where nvidia-smi is missing or reports no power. */
export async function startNvidiaPowerMeter(intervalMs = 20): Promise<NvidiaPowerMeter | undefined> {
  const samples: { t: number; watts: number }[] = [];
  let child: ChildProcess;
  try {
    // power.draw.instant: not the 1 s moving average that power.draw is on recent drivers
    child = spawn(
      'nvidia-smi',
      ['--id=0', '--query-gpu=power.draw.instant', '--format=csv,noheader,nounits', `-lms`, String(intervalMs)],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    return undefined;
  }
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const watts = Number(line.trim());
      if (Number.isFinite(watts)) samples.push({ t: performance.now(), watts });
    }
  });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    const check = setInterval(() => {
      if (samples.length > 0) {
        clearInterval(check);
        resolve(true);
      }
    }, 20);
    setTimeout(() => {
      clearInterval(check);
      resolve(samples.length > 0);
    }, 3000);
  });
  if (!started) {
    child.kill();
    return undefined;
  }
  return {
    async meanWatts(from, to) {
      // samples arrive through a pipe: wait for one past the window
      for (let i = 0; i < 50 && !(samples.at(-1)!.t > to); i++) await new Promise((r) => setTimeout(r, 10));
      const inside = samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.watts);
      if (inside.length === 0) {
        const nearest = samples.reduce((a, b) =>
          Math.abs(b.t - (from + to) / 2) < Math.abs(a.t - (from + to) / 2) ? b : a,
        );
        return nearest.watts;
      }
      return inside.reduce((a, b) => a + b, 0) / inside.length;
    },
    stop: () => child.kill(),
  };
}
