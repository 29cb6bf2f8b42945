// The GPU sampler against the definitions of transformers' logits processors, computed on the CPU
// by sorting. Shared by Node and the Chromium page.
import type { GpuContext } from '../src/gpu/context.ts';
import { createStorageBuffer, createUniformBuffer, readBuffer } from '../src/gpu/buffers.ts';
import { kernelsReady, submitDispatches } from '../src/gpu/computeKernel.ts';
import { SampleKernel, samplingUniform, type SamplingParams } from '../src/kernels/sample.ts';
import { check } from './check.ts';
import { seededRandom } from './random.ts';
import type { NamedCheck } from './kernelChecks.ts';

const V = 1000;

/** Draws `n` tokens at steps 0..n-1 (the step index feeds the random number). */
async function draw(
  ctx: GpuContext,
  logits: Float32Array,
  s: SamplingParams,
  n: number,
  seen: number[] = [],
): Promise<Uint32Array> {
  const { device } = ctx;
  const kernel = new SampleKernel(device);
  const params = createUniformBuffer(device, 'params', samplingUniform(V, s));
  const step = createUniformBuffer(device, 'step', new Uint32Array(4));
  const logitBuf = createStorageBuffer(device, 'logits', logits);
  const bitmap = new Uint32Array(Math.ceil(V / 32));
  for (const id of seen) bitmap[id >>> 5] |= 1 << (id & 31);
  const seenBuf = createStorageBuffer(device, 'seen', bitmap);
  const ids = createStorageBuffer(device, 'ids', 4);
  const generated = createStorageBuffer(device, 'generated', n * 4);
  const d = kernel.prepare({ sampling: params, step, logits: logitBuf, seen: seenBuf, ids, generated });
  await kernelsReady(device);
  for (let i = 0; i < n; i++) {
    device.queue.writeBuffer(step, 0, new Uint32Array([0, i, 0, 0]));
    // the sampler marks what it drew as seen; keep the bitmap fixed so every draw sees the same distribution
    device.queue.writeBuffer(seenBuf, 0, bitmap);
    submitDispatches(device, d);
  }
  const out = new Uint32Array(await readBuffer(device, generated));
  for (const b of [params, step, logitBuf, seenBuf, ids, generated]) b.destroy();
  return out;
}

function testLogits(seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: V }, () => (rand() - 0.5) * 12);
}

/** Probabilities after penalty and temperature, sorted descending: [id, p][]. */
function ranked(logits: Float32Array, s: SamplingParams, seen: number[] = []): [number, number][] {
  const adj = Array.from(logits, (l, i) => {
    const v =
      seen.includes(i) && s.repetitionPenalty !== 1 ? (l > 0 ? l / s.repetitionPenalty : l * s.repetitionPenalty) : l;
    return v / s.temperature;
  });
  const m = Math.max(...adj);
  const e = adj.map((a) => Math.exp(a - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v, i) => [i, v / z] as [number, number]).sort((a, b) => b[1] - a[1]);
}

const BASE: SamplingParams = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 42 };
const N = 300;

export const samplingChecks: NamedCheck[] = [
  {
    name: 'GPU sampling: top-k, top-p and min-p keep exactly the allowed tokens',
    async run(ctx) {
      const logits = testLogits(1);
      const r = ranked(logits, BASE);
      const topK = new Set(r.slice(0, 5).map(([i]) => i));
      const kDraws = await draw(ctx, logits, { ...BASE, topK: 5 }, N);
      check(
        kDraws.every((id) => topK.has(id)),
        `top-k 5 drew outside the top 5: ${[...kDraws].filter((id) => !topK.has(id))}`,
      );
      check(new Set(kDraws).size > 1, 'top-k 5 drew a single token 300 times');
      // nucleus: the smallest prefix of the ranking with mass >= 0.6
      let mass = 0;
      const nucleus = new Set<number>();
      for (const [i, p] of r) {
        nucleus.add(i);
        mass += p;
        if (mass >= 0.6) break;
      }
      const pDraws = await draw(ctx, logits, { ...BASE, topP: 0.6 }, N);
      check(
        pDraws.every((id) => nucleus.has(id)),
        `top-p 0.6 drew outside the nucleus of ${nucleus.size}`,
      );
      const minP = new Set(r.filter(([, p]) => p >= 0.3 * r[0][1]).map(([i]) => i));
      const mDraws = await draw(ctx, logits, { ...BASE, minP: 0.3 }, N);
      check(
        mDraws.every((id) => minP.has(id)),
        'min-p 0.3 drew a token below 0.3 x the top probability',
      );
      const one = await draw(ctx, logits, { ...BASE, topK: 1 }, 20);
      check(
        one.every((id) => id === r[0][0]),
        'top-k 1 must always give the argmax',
      );
    },
  },
  {
    name: 'GPU sampling: frequencies follow softmax(logits / temperature)',
    async run(ctx) {
      const logits = new Float32Array(V).fill(-30);
      logits.set([2, 1.5, 1, 0], 10); // four plausible tokens at ids 10..13
      for (const temperature of [1, 0.5]) {
        const r = ranked(logits, { ...BASE, temperature });
        const draws = await draw(ctx, logits, { ...BASE, temperature, seed: 7 }, 2000);
        for (const [id, p] of r.slice(0, 4)) {
          const f = draws.filter((d) => d === id).length / draws.length;
          // 2000 draws: a binomial standard deviation is at most ~0.011
          check(
            Math.abs(f - p) < 0.05,
            `temperature ${temperature}: token ${id} drawn ${(f * 100).toFixed(1)}%, expected ${(p * 100).toFixed(1)}%`,
          );
        }
      }
    },
  },
  {
    name: 'GPU sampling: a seed replays exactly, another seed differs, the penalty demotes seen tokens',
    async run(ctx) {
      const logits = testLogits(2);
      const a = await draw(ctx, logits, { ...BASE, seed: 5 }, 50);
      const b = await draw(ctx, logits, { ...BASE, seed: 5 }, 50);
      const c = await draw(ctx, logits, { ...BASE, seed: 6 }, 50);
      check(
        a.every((v, i) => v === b[i]),
        'the same seed gave different tokens',
      );
      check(
        a.some((v, i) => v !== c[i]),
        'different seeds gave the same 50 tokens',
      );
      const top = ranked(logits, BASE)[0][0];
      const greedy = { ...BASE, topK: 1 };
      check(
        (await draw(ctx, logits, greedy, 5)).every((id) => id === top),
        'without penalty top-k 1 gives the top token',
      );
      const penalized = await draw(ctx, logits, { ...greedy, repetitionPenalty: 100 }, 5, [top]);
      const expected = ranked(logits, { ...greedy, repetitionPenalty: 100 }, [top])[0][0];
      check(
        expected !== top && penalized.every((id) => id === expected),
        `penalty 100 on token ${top}: drew ${penalized}, expected ${expected}`,
      );
    },
  },
];
