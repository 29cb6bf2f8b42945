// Where a pass spends GPU time, two ways: each dispatch of the decode step (or a prefill pass)
// replayed many times on its own and timed, summed per kernel (barriers between dependent
// dispatches included, as in a real step; but a small matrix read again and again stays in L2, so
// these figures flatter the kernels that stream weights); and each kernel's cost in context: the
// whole pass queued as in decoding, with and without that kernel's dispatches (the pass then
// computes garbage; only its time counts). Then the step's anatomy (tools/bench/stepAnatomy.ts;
// the browser benchmark measures the same with --anatomy).
//   node --import ./tools/register.js tools/profilePass.ts [--model 2B-4T] [--m 1] [--reps 100] [--embedding bf16]
//     [--context 1024] [--keys 4000] [--in-context-only] [--dawn-flags "enable-dawn-features=disable_robustness"]
// --keys: the pass at that many cached keys (the cache left as it is: only the time counts) instead
// of at half the context, filled first; how decode attention grows with the context.
// --in-context-only: the whole pass and each kernel in context, without the replays and the anatomy.
// --dawn-flags: Dawn's switches for this run (space-separated), to see what one of its safety
// measures costs (docs/benchmarks.md); the model is loaded and checked as always.
import { getNodeGpu } from '../src/node/nodeGpu.ts';
import { createGpuContext } from '../src/gpu/context.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { recordDispatch } from '../src/gpu/computeKernel.ts';
import {
  measureStepAnatomy,
  passAtHalfContext,
  passAtKeys,
  queuedPassCost,
  stepAnatomyLines,
} from './bench/stepAnatomy.ts';
import { syntheticSource } from './bench/syntheticSource.ts';
import { selectShapes } from './bench/modelShapes.ts';
import type { EmbeddingFormat } from '../src/weights/formats.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const [shape] = selectShapes([option('model', '2B-4T')]); // the first shape it names; a refused config throws at load
const m = Number(option('m', '1'));
const reps = Number(option('reps', '100'));
const context = Number(option('context', '1024'));
const keys = process.argv.includes('--keys') ? Number(option('keys', '')) : undefined;
if (keys !== undefined && !(Number.isInteger(keys) && keys >= 0 && keys + m <= context)) {
  console.error(
    `--keys must be a whole number from 0 to the context less the pass (${context - m}), got ${option('keys', '')}`,
  );
  process.exit(2);
}
const inContextOnly = process.argv.includes('--in-context-only');
const dawnFlags = option('dawn-flags', '').split(' ').filter(Boolean);

const ctx = await createGpuContext(await getNodeGpu(dawnFlags));
const { device } = ctx;
const model = await BitNetModel.load(ctx, syntheticSource(shape), {
  contextLength: context,
  prefillChunk: Math.max(m, 1),
  embeddingFormat: option('embedding', 'int8') as EmbeddingFormat, // checked by BitNetModel.load
});
const dispatches = keys === undefined ? await passAtHalfContext(model, m, context) : passAtKeys(model, m, keys);

async function time(run: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  run(pass);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/** Each dispatch replayed `reps` times on its own, its GPU time summed per kernel into byKernel. */
async function replayEachDispatch(): Promise<void> {
  let total = 0;
  for (const d of dispatches) {
    await time((p) => recordDispatch(p, d));
    const one = await time((p) => recordDispatch(p, d));
    const many = await time((p) => {
      for (let r = 0; r < reps; r++) recordDispatch(p, d);
    });
    const us = (Math.max(many - one, 0) / (reps - 1)) * 1000;
    byKernel.get(d.kernel.label)!.us += us;
    total += us;
  }
  const whole = await time((p) => dispatches.forEach((d) => recordDispatch(p, d)));
  console.log(
    `sum of per-dispatch times: ${(total / 1000).toFixed(3)} ms; one whole pass (submit + wait): ${whole.toFixed(3)} ms`,
  );
  console.log('| kernel | dispatches | total us | us each |\n|---|---|---|---|');
  for (const [k, v] of [...byKernel].sort((a, b) => b[1].us - a[1].us)) {
    console.log(`| ${k} | ${v.count} | ${v.us.toFixed(1)} | ${(v.us / v.count).toFixed(2)} |`);
  }
}

const byKernel = new Map<string, { us: number; count: number }>();
for (const d of dispatches) {
  const e = byKernel.get(d.kernel.label) ?? { us: 0, count: 0 };
  e.count++;
  byKernel.set(d.kernel.label, e);
}
console.log(
  `${shape.name}, m=${m}, context ${context} (${keys === undefined ? 'half full' : `at ${keys} keys`}), ${dispatches.length} dispatches on ${ctx.caps.adapterName}` +
    (dawnFlags.length > 0 ? `, Dawn flags: ${dawnFlags.join(' ')}` : ''),
);
if (!inContextOnly) await replayEachDispatch();

const all = (await queuedPassCost(device, dispatches)).gpu;
console.log(
  `\nin context: the pass queued 20 times (median of 5), ${all.toFixed(3)} ms of GPU time per pass with every kernel`,
);
console.log(
  '| kernel left out | dispatches | GPU ms per pass without it | its cost, us | us each |\n|---|---|---|---|---|',
);
for (const [label, { count }] of [...byKernel].sort((a, b) => b[1].us - a[1].us || b[1].count - a[1].count)) {
  const without = (
    await queuedPassCost(
      device,
      dispatches.filter((d) => d.kernel.label !== label),
    )
  ).gpu;
  const cost = (all - without) * 1000;
  console.log(`| ${label} | ${count} | ${without.toFixed(3)} | ${cost.toFixed(1)} | ${(cost / count).toFixed(2)} |`);
}

if (!inContextOnly) {
  for (const line of stepAnatomyLines(await measureStepAnatomy(ctx, model, dispatches, m, context))) console.log(line);
}
process.exit(0);
