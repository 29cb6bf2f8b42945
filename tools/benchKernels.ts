// Microbenchmark of the BitLinear kernels: time per call and effective GB/s of weight traffic,
// per shape, for each dot-product variant, and (one token) the fused decode linear, whose input's
// RMSNorm and quantization run in its prologue (`NxK:relu2`: of a gated input, as a down
// projection's). Calls cycle over copies of the matrix that together exceed a GPU's L2, so the
// weights come from memory as in a model's step. Usage:
//   npm run bench:kernels [-- --shapes 2560x2560,2560x6912:relu2 --m 1,512 --iters 200 --max-cols 27648]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { recordDispatch, type Dispatch } from '../src/gpu/computeKernel.ts';
import { QuantizeActivationsKernel } from '../src/kernels/quantizeActivations.ts';
import { NormQuantizeGemvKernel } from '../src/kernels/normQuantizeGemv.ts';
import type { QuantizeForm } from '../src/kernels/normQuantize.ts';
import { fusedDecodeMissing } from '../src/model/modelKernels.ts';
import { TernaryMatmulKernels, gemvSubgroupLanes, type TernaryDotVariant } from '../src/kernels/ternaryMatmul.ts';
import { activationWordsFor, blocksFor } from '../src/weights/ternaryLayout.ts';
import { uploadTernaryWeights, type TernaryWeights } from '../src/weights/ternaryWeights.ts';
import { destroyWeights } from '../src/weights/weightParts.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const shapes = option('shapes', '2560x2560,640x2560,6912x2560,2560x6912:relu2')
  .split(',')
  .map((s) => {
    const [dims, gate = 'none'] = s.split(':');
    if (gate !== 'none' && gate !== 'relu2' && gate !== 'silu')
      throw new Error(`--shapes ${s}: the gate is relu2 or silu`);
    const [n, k] = dims.split('x').map(Number);
    return { n, k, gate: gate as QuantizeForm['gate'] };
  });
const ms = option('m', '1,512').split(',').map(Number);
const iters = Number(option('iters', '100'));
// the GEMV's loop over a row is unrolled for this many columns (the model: for each row width it has)
const maxCols = Number(option('max-cols', '0'));

const ctx = await createNodeGpuContext();
const { device } = ctx;
const variants: TernaryDotVariant[] = ctx.caps.dot4I8Packed ? ['addsub', 'dot4'] : ['addsub'];
const quantizer = new QuantizeActivationsKernel(device);
const lanes = gemvSubgroupLanes(ctx.caps);
const fused = fusedDecodeMissing(ctx.caps) === undefined;
/** Bytes of weights a measurement cycles through: more than the L2 of the GPUs measured (50 MB on an H200). */
const STREAMED_BYTES = 256 * 2 ** 20;
/** Measurements of each row, the fastest kept. */
const ROUNDS = 3;
console.log(`adapter: ${ctx.caps.adapterName}; variants: ${variants.join(', ')}; iterations: ${iters}`);
console.log('| N x K | M | variant | us/call | weight GB/s | TOPS (int8) |');
console.log('|---|---|---|---|---|---|');

/** Milliseconds for `reps` calls queued in one pass, call r on copy r of the matrix (cycling). */
async function timeDispatches(copies: Dispatch[][], reps: number): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < reps; r++) for (const d of copies[r % copies.length]) recordDispatch(pass, d);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

const results: object[] = [];
for (const { n, k, gate } of shapes) {
  const words = new Uint32Array(n * blocksFor(k) * 4);
  for (let i = 0; i < words.length; i++) words[i] = ((Math.random() * 2 ** 32) >>> 0) & 0xaaaaaaaa; // codes 0 or 2
  const copies = Array.from({ length: Math.ceil(STREAMED_BYTES / words.byteLength) }, (_, c) =>
    uploadTernaryWeights(device, `w${n}x${k}.${c}`, words, new Float32Array(n).fill(1), n, k),
  );
  /** Times the calls `prepare` gives for each copy; prints and keeps one row. */
  const measure = async (m: number, name: string, prepare: (weights: TernaryWeights) => Dispatch[]) => {
    const calls = copies.map(prepare);
    await timeDispatches(calls, 5); // warm-up
    // the fastest of a few rounds (one round of a few milliseconds varied by 2-4x on an H200), each
    // of one call and of iters + 1: their difference leaves the submission's own cost out
    let ms1 = Infinity;
    let msN = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      ms1 = Math.min(ms1, await timeDispatches(calls, 1));
      msN = Math.min(msN, await timeDispatches(calls, iters + 1));
    }
    const perCall = Math.max((msN - ms1) / iters, 1e-6) * 1000; // us
    const gbps = (n * blocksFor(k) * 16) / (perCall * 1e-6) / 1e9;
    const tops = (2 * m * n * k) / (perCall * 1e-6) / 1e12;
    results.push({ n, k, m, gate, variant: name, usPerCall: perCall, weightGBps: gbps, tops });
    console.log(`| ${n} x ${k} | ${m} | ${name} | ${perCall.toFixed(2)} | ${gbps.toFixed(0)} | ${tops.toFixed(2)} |`);
  };
  for (const m of ms) {
    const x = createStorageBuffer(
      device,
      'x',
      new Float32Array(m * k * (gate === 'none' ? 1 : 2)).map(() => Math.random() - 0.5),
    );
    const xq = createStorageBuffer(device, 'xq', m * activationWordsFor(k) * 4);
    const xScale = createStorageBuffer(device, 'xScale', m * 4);
    const y = createStorageBuffer(device, 'y', m * n * 4);
    await timeDispatches([quantizer.prepare({ x, xq, xScale, rows: m, cols: k })], 1);
    // the GEMV summing through workgroup memory, and in subgroups where the adapter allows
    const forms = m === 1 && lanes !== undefined ? [undefined, lanes] : [undefined];
    for (const [variant, subgroupLanes] of variants.flatMap((v) => forms.map((f) => [v, f] as const))) {
      const kernels = new TernaryMatmulKernels(device, variant, { subgroupLanes, maxCols: Math.max(k, maxCols) });
      await measure(m, subgroupLanes ? `${variant}, subgroup` : variant, (weights) =>
        kernels.prepare({ weights, xq, xScale, y, m }),
      );
    }
    if (m === 1 && fused) {
      // what a decode step runs: the input's (gate,) RMSNorm and quantization, then the GEMV, in one dispatch
      const kernel = new NormQuantizeGemvKernel(device, { gate, norm: true }, k, lanes!);
      const norm = { weight: createStorageBuffer(device, 'normWeight', new Float32Array(k).fill(1)), eps: 1e-5 };
      await measure(m, gate === 'none' ? 'fused, norm' : `fused, ${gate}, norm`, (weights) =>
        kernel.prepare({ x, norm, weights, y }),
      );
      norm.weight.destroy();
    }
    for (const b of [x, xq, xScale, y]) b.destroy();
  }
  for (const weights of copies) destroyWeights(weights);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
process.exit(0);
