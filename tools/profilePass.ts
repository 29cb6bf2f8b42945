// Where a pass spends GPU time: each dispatch of the decode step (or a prefill pass) is replayed
// many times on its own and timed, then the times are summed per kernel. Barriers between
// dependent dispatches are included, as in a real step. Then the step's anatomy: CPU time to
// record and to submit it, GPU time with steps queued back to back, the same number of the
// cheapest dependent dispatch (the floor any schedule of that many dispatches pays), and the real
// decode loop's time per step.
//   node --import ./tools/register.js tools/profilePass.ts [--model 2B-4T] [--m 1] [--reps 100] [--embedding bf16]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { ComputeKernel, kernelsReady, recordDispatch, recordPass, type Dispatch } from '../src/gpu/computeKernel.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import floorSource from './bench/dependentDispatch.wgsl?raw';
import { MODEL_SHAPES, syntheticSource } from './bench/syntheticSource.ts';
import type { EmbeddingFormat } from '../src/kernels/embeddingWeights.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const shape = MODEL_SHAPES.find((s) => s.name.includes(option('model', '2B-4T')));
if (!shape) throw new Error('unknown --model');
const m = Number(option('m', '1'));
const reps = Number(option('reps', '100'));
const context = Number(option('context', '1024'));

const ctx = await createNodeGpuContext();
const { device } = ctx;
const model = await BitNetModel.load(ctx, syntheticSource(shape), {
  contextLength: context,
  prefillChunk: Math.max(m, 1),
  embeddingFormat: option('embedding', 'int8') as EmbeddingFormat, // checked by BitNetModel.load
});
// Fill the cache to half the context so attention does realistic work.
await model.logits(Array.from({ length: context / 2 }, (_, i) => i % shape.vocab));
device.queue.writeBuffer((model as unknown as { buf: { step: GPUBuffer } }).buf.step, 0, new Uint32Array([context / 2, 0, 0, 0]));
const dispatches = model.passDispatches(m, m === 1 ? 'argmax' : 'last');

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

const byKernel = new Map<string, { us: number; count: number }>();
let total = 0;
for (const d of dispatches) {
  await time((p) => recordDispatch(p, d));
  const one = await time((p) => recordDispatch(p, d));
  const many = await time((p) => {
    for (let r = 0; r < reps; r++) recordDispatch(p, d);
  });
  const us = (Math.max(many - one, 0) / (reps - 1)) * 1000;
  const e = byKernel.get(d.kernel.label) ?? { us: 0, count: 0 };
  e.us += us;
  e.count++;
  byKernel.set(d.kernel.label, e);
  total += us;
}
const whole = await time((p) => dispatches.forEach((d) => recordDispatch(p, d)));
console.log(`${shape.name}, m=${m}, ${dispatches.length} dispatches on ${ctx.caps.adapterName}`);
console.log(`sum of per-dispatch times: ${(total / 1000).toFixed(3)} ms; one whole pass (submit + wait): ${whole.toFixed(3)} ms`);
console.log('| kernel | dispatches | total us | us each |\n|---|---|---|---|');
for (const [k, v] of [...byKernel].sort((a, b) => b[1].us - a[1].us)) {
  console.log(`| ${k} | ${v.count} | ${v.us.toFixed(1)} | ${(v.us / v.count).toFixed(2)} |`);
}

/**
 * Records `steps` copies of `list`, one command buffer each, then submits them together (Dawn
 * records the Vulkan commands inside submit; the GPU starts when it returns). Milliseconds per step.
 */
async function anatomy(list: readonly Dispatch[], steps: number): Promise<{ record: number; submit: number; gpu: number }> {
  const t0 = performance.now();
  const buffers: GPUCommandBuffer[] = [];
  for (let i = 0; i < steps; i++) {
    const encoder = device.createCommandEncoder();
    recordPass(encoder, list);
    buffers.push(encoder.finish());
  }
  const t1 = performance.now();
  device.queue.submit(buffers);
  const t2 = performance.now();
  await device.queue.onSubmittedWorkDone();
  const t3 = performance.now();
  return { record: (t1 - t0) / steps, submit: (t2 - t1) / steps, gpu: (t3 - t2) / steps };
}

const floorKernel = new ComputeKernel(device, 'dependentDispatch', [floorSource]);
await kernelsReady(device);
const counter = createStorageBuffer(device, 'counter', 4);
const floorList: Dispatch[] = dispatches.map(() => ({ kernel: floorKernel, bindGroup: floorKernel.bind([counter]), workgroups: [1, 1, 1] }));
const steps = 20;
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const [name, list] of [
  ['this pass', dispatches],
  [`${dispatches.length} dependentDispatch.wgsl`, floorList],
] as const) {
  await anatomy(list, 2);
  const runs: Awaited<ReturnType<typeof anatomy>>[] = [];
  for (let r = 0; r < 5; r++) runs.push(await anatomy(list, steps));
  const [record, submit, gpu] = (['record', 'submit', 'gpu'] as const).map((k) => median(runs.map((x) => x[k])));
  console.log(
    `${name}, ${steps} passes queued together, per pass (median of 5): record ${record.toFixed(3)} ms, submit ${submit.toFixed(3)} ms, ` +
      `GPU ${gpu.toFixed(3)} ms (${((gpu * 1000) / list.length).toFixed(2)} us per dispatch)`,
  );
}
if (m === 1) {
  // The real decode loop (a submission per step, ids read back while later steps run), from the
  // same cache position: what it adds to recording and submitting is the loop's own cost.
  const loop: number[] = [];
  for (let r = 0; r < 5; r++) {
    model.truncate(context / 2 - 1);
    const t0 = performance.now();
    await model.generate([1], 128, { stopIds: [], lookahead: 7 });
    loop.push((performance.now() - t0) / 128);
  }
  console.log(`decode loop (generate, 128 greedy tokens), per step (median of 5): ${median(loop).toFixed(3)} ms`);
}
process.exit(0);
