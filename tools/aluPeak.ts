// The GPU's arithmetic peak as WGSL reaches it, with no memory traffic: how many int8 dot-product
// operations (dot4I8Packed: 4 products and 4 additions a call), f32 operations (fma: 2) and i32
// additions a second. The ternary GEMMs of a prompt are measured against the first
// (docs/benchmarks.md, "Prefill: what bounds it"). Every invocation keeps eight independent sums
// so that the ALU, not a dependency chain, sets the pace; two grid sizes show it is saturated.
//   node --import ./tools/register.js tools/aluPeak.ts [--iters 4096]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const iters = Number(option('iters', '4096'));
const SUMS = 8;
/** Workgroups of 256 per probe: 8 and 16 per multiprocessor of an H200 (132), more than fit at once. */
const GRIDS = [1056, 2112];

/** A kernel that updates SUMS sums `iters` times with `step` (of a[c], x, y, c) and keeps them live. */
function probe(type: 'i32' | 'f32', step: string): string {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u) {
  var a: array<${type}, ${SUMS}>;
  for (var c = 0u; c < ${SUMS}u; c++) { a[c] = ${type}(c); }
  var x = g.x * 2654435761u;
  let y = x ^ 0x9e3779b9u;
  for (var i = 0u; i < ${iters}u; i++) {
    for (var c = 0u; c < ${SUMS}u; c++) { a[c] = ${step}; }
    x += 0x01010101u;
  }
  var s = 0u;
  for (var c = 0u; c < ${SUMS}u; c++) { s ^= bitcast<u32>(a[c]); }
  if (s == 0x12345678u) { out[g.x] = s; } // never true in practice; keeps the sums live
}`;
}

const probes = [
  {
    name: 'int8 dot4I8Packed',
    unit: 'T int8 ops/s',
    opsPerStep: 8,
    code: probe('i32', 'a[c] + dot4I8Packed(x, y ^ (c * 0x01010101u))'),
  },
  {
    name: 'f32 fma',
    unit: 'TFLOPS',
    opsPerStep: 2,
    code: probe('f32', 'fma(a[c], bitcast<f32>(x & 0x3f7fffffu), 0.5)'),
  },
  { name: 'i32 add', unit: 'T ops/s', opsPerStep: 1, code: probe('i32', 'a[c] + i32(x ^ c)') },
];

const ctx = await createNodeGpuContext();
const { device } = ctx;
console.log(`adapter: ${ctx.caps.adapterName}; ${iters} iterations of ${SUMS} sums per invocation`);
console.log('| operation | workgroups of 256 | ms | rate |');
console.log('|---|---|---|---|');
const out = device.createBuffer({ size: 4 * 256 * Math.max(...GRIDS), usage: GPUBufferUsage.STORAGE });
for (const { name, unit, opsPerStep, code } of probes) {
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }],
  });
  for (const workgroups of GRIDS) {
    const run = async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
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
process.exit(0);
