// Microbenchmark of the BitLinear kernels: time per call and effective GB/s of weight traffic,
// per shape, for each dot-product variant. Usage:
//   npm run bench:kernels [-- --shapes 2560x2560,640x2560 --m 1,512 --iters 200 --max-cols 27648]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { recordDispatch, type Dispatch } from '../src/gpu/computeKernel.ts';
import { QuantizeActivationsKernel } from '../src/kernels/quantizeActivations.ts';
import { TernaryMatmulKernels, gemvSubgroupLanes, type TernaryDotVariant } from '../src/kernels/ternaryMatmul.ts';
import { activationWordsFor, blocksFor } from '../src/weights/ternaryLayout.ts';
import { uploadTernaryWeights } from '../src/weights/ternaryWeights.ts';
import { destroyWeights } from '../src/weights/weightParts.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const shapes = option('shapes', '2560x2560,640x2560,6912x2560,2560x6912')
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number]);
const ms = option('m', '1,512').split(',').map(Number);
const iters = Number(option('iters', '100'));
// the GEMV's loop over a row is unrolled for this many columns (the model: for each row width it has)
const maxCols = Number(option('max-cols', '0'));

const ctx = await createNodeGpuContext();
const { device } = ctx;
const variants: TernaryDotVariant[] = ctx.caps.dot4I8Packed ? ['addsub', 'dot4'] : ['addsub'];
const quantizer = new QuantizeActivationsKernel(device);
const lanes = gemvSubgroupLanes(ctx.caps);
console.log(`adapter: ${ctx.caps.adapterName}; variants: ${variants.join(', ')}; iterations: ${iters}`);
console.log('| N x K | M | variant | us/call | weight GB/s | TOPS (int8) |');
console.log('|---|---|---|---|---|---|');

async function timeDispatches(dispatches: Dispatch[], reps: number): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < reps; r++) for (const d of dispatches) recordDispatch(pass, d);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

const results: object[] = [];
for (const [n, k] of shapes) {
  const words = new Uint32Array(n * blocksFor(k) * 4);
  for (let i = 0; i < words.length; i++) words[i] = ((Math.random() * 2 ** 32) >>> 0) & 0xaaaaaaaa; // codes 0 or 2
  const weights = uploadTernaryWeights(device, `w${n}x${k}`, words, new Float32Array(n).fill(1), n, k);
  for (const m of ms) {
    const x = createStorageBuffer(
      device,
      'x',
      new Float32Array(m * k).map(() => Math.random() - 0.5),
    );
    const xq = createStorageBuffer(device, 'xq', m * activationWordsFor(k) * 4);
    const xScale = createStorageBuffer(device, 'xScale', m * 4);
    const y = createStorageBuffer(device, 'y', m * n * 4);
    await timeDispatches(quantizer.prepare({ x, xq, xScale, rows: m, cols: k }), 1);
    // the GEMV summing through workgroup memory, and in subgroups where the adapter allows
    const forms = m === 1 && lanes !== undefined ? [undefined, lanes] : [undefined];
    for (const [variant, subgroupLanes] of variants.flatMap((v) => forms.map((f) => [v, f] as const))) {
      const dispatches = new TernaryMatmulKernels(device, variant, {
        subgroupLanes,
        maxCols: Math.max(k, maxCols),
      }).prepare({ weights, xq, xScale, y, m });
      const name = subgroupLanes ? `${variant}, subgroup` : variant;
      await timeDispatches(dispatches, 5); // warm-up
      const ms1 = await timeDispatches(dispatches, 1);
      const msN = await timeDispatches(dispatches, iters + 1);
      const perCall = Math.max((msN - ms1) / iters, 1e-6) * 1000; // us, submit overhead removed
      const gbps = (n * blocksFor(k) * 16) / (perCall * 1e-6) / 1e9;
      const tops = (2 * m * n * k) / (perCall * 1e-6) / 1e12;
      results.push({ n, k, m, variant: name, usPerCall: perCall, weightGBps: gbps, tops });
      console.log(`| ${n} x ${k} | ${m} | ${name} | ${perCall.toFixed(2)} | ${gbps.toFixed(0)} | ${tops.toFixed(2)} |`);
    }
    for (const b of [x, xq, xScale, y]) b.destroy();
  }
  destroyWeights(weights);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
process.exit(0);
