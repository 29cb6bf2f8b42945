// The GPU's arithmetic peak as WGSL reaches it, with no memory traffic: how many int8 dot-product
// operations (dot4I8Packed: 4 products and 4 additions a call), f32 operations (fma: 2) and i32
// additions a second (tools/bench/aluPeak.wgsl). The ternary GEMMs of a prompt are measured
// against the first (docs/benchmarks.md, "Prefill: what bounds it"); two grid sizes show the ALU
// is saturated.
//   node --import ./tools/register.js tools/aluPeak.ts [--iters 4096]
import source from './bench/aluPeak.wgsl?raw';
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { ComputeKernel, kernelsReady, recordDispatch } from '../src/gpu/computeKernel.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const iters = Number(option('iters', '4096'));
/** The sums each invocation keeps (SUMS in the WGSL). */
const SUMS = 8;
/** Workgroups of 256 per probe: 8 and 16 per multiprocessor of an H200 (132), more than fit at once. */
const GRIDS = [1056, 2112];

const probes = [
  {
    name: 'int8 dot4I8Packed',
    unit: 'T int8 ops/s',
    opsPerStep: 8,
    aluStep:
      'alias Sum = i32;\nfn step(a: Sum, x: u32, y: u32, c: u32) -> Sum { return a + dot4I8Packed(x, y ^ (c * 0x01010101u)); }',
  },
  {
    name: 'f32 fma',
    unit: 'TFLOPS',
    opsPerStep: 2,
    aluStep:
      'alias Sum = f32;\nfn step(a: Sum, x: u32, y: u32, c: u32) -> Sum { return fma(a, bitcast<f32>(x & 0x3f7fffffu), 0.5); }',
  },
  {
    name: 'i32 add',
    unit: 'T ops/s',
    opsPerStep: 1,
    aluStep: 'alias Sum = i32;\nfn step(a: Sum, x: u32, y: u32, c: u32) -> Sum { return a + i32(x ^ c); }',
  },
];

const ctx = await createNodeGpuContext();
const { device } = ctx;
console.log(`adapter: ${ctx.caps.adapterName}; ${iters} iterations of ${SUMS} sums per invocation`);
console.log('| operation | workgroups of 256 | ms | rate |');
console.log('|---|---|---|---|');
const sink = createStorageBuffer(device, 'sink', 4 * 256 * Math.max(...GRIDS));
for (const { name, unit, opsPerStep, aluStep } of probes) {
  const kernel = new ComputeKernel(device, `aluPeak.${name}`, source, {
    constants: { ITERS: iters },
    slots: { aluStep },
  });
  await kernelsReady(device);
  const bindGroup = kernel.bind({ sink });
  for (const workgroups of GRIDS) {
    const run = async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      recordDispatch(pass, { kernel, bindGroup, workgroups: [workgroups, 1, 1] });
      pass.end();
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await run(); // warm-up
    let best = Infinity;
    for (let r = 0; r < 5; r++) best = Math.min(best, await run());
    const ops = workgroups * 256 * iters * SUMS * opsPerStep;
    console.log(`| ${name} | ${workgroups} | ${best.toFixed(3)} | ${(ops / best / 1e9).toFixed(1)} ${unit} |`);
  }
}
sink.destroy();
process.exit(0);
