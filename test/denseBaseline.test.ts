// The benchmarks' dense baseline (linear layers in f32) must compute what the ternary model computes,
// or its speed-up and memory ratios compare different work.
import { test } from 'node:test';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { createStorageBuffer, readBuffer } from '../src/gpu/buffers.ts';
import { kernelsReady, submitDispatches } from '../src/gpu/computeKernel.ts';
import { DenseLinearKernels } from '../src/kernels/denseLinear.ts';
import { dequantizeTernary, uploadF32Weights } from '../src/weights/f32Weights.ts';
import { packTernary, toActivationOrder } from '../src/weights/ternaryLayout.ts';
import { syntheticSource } from '../tools/bench/syntheticSource.ts';
import { MODEL_SHAPES, shapeConfig } from '../tools/bench/modelShapes.ts';
import { check, checkClose } from './check.ts';
import { testGpuContext } from './gpuContext.ts';
import { randomTernary, seededRandom } from './random.ts';

for (const [m, n, k] of [
  [1, 70, 200],
  [70, 130, 300],
  [3, 64, 64],
]) {
  test(`dense f32 linear layer, ${m} tokens x ${n} rows x ${k} columns, matches the CPU (GEMV for 1 token, GEMM for more)`, async () => {
    const { device } = await testGpuContext();
    const rand = seededRandom(m * 1000 + n + k);
    const w = randomTernary(rand, n * k);
    const rowScale = Float32Array.from({ length: n }, () => 0.5 + rand() * 3);
    const xq = Int8Array.from({ length: m * k }, () => Math.round(rand() * 254) - 127);
    const xScale = Float32Array.from({ length: m }, () => 1 + rand() * 100);
    const weights = uploadF32Weights(device, 'w', dequantizeTernary(packTernary(w, n, k), rowScale, n, k), n, k);
    const y = createStorageBuffer(device, 'y', m * n * 4);
    const kernels = new DenseLinearKernels(device);
    await kernelsReady(device);
    submitDispatches(
      device,
      kernels.prepare({
        weights,
        xq: createStorageBuffer(device, 'xq', toActivationOrder(xq, m, k)),
        xScale: createStorageBuffer(device, 'xs', xScale),
        y,
        m,
      }),
    );
    const expected = new Float32Array(m * n);
    for (let t = 0; t < m; t++) {
      for (let r = 0; r < n; r++) {
        let acc = 0;
        for (let c = 0; c < k; c++) acc += xq[t * k + c] * w[r * k + c];
        expected[t * n + r] = acc / (xScale[t] * rowScale[r]);
      }
    }
    checkClose(new Float32Array(await readBuffer(device, y)), expected, 'y', 1e-4, 1e-4); // f32 sums of a few hundred terms
  });
}

test("a model with f32 linear layers follows the ternary model's logits", async () => {
  const ctx = await testGpuContext();
  const shape = MODEL_SHAPES.find((s) => s.name === 'tiny-a')!;
  const V = shapeConfig(shape).vocabSize;
  const prompt = Array.from({ length: 70 }, (_, i) => (i * 37 + 5) % V);
  const run = async (linearFormat: 'ternary' | 'f32') => {
    const model = await BitNetModel.load(ctx, syntheticSource(shape, 7), { linearFormat, contextLength: 128 });
    try {
      return { all: await model.logits(prompt, 'all'), bytes: model.gpuMemory().weights };
    } finally {
      model.dispose();
    }
  };
  const ternary = await run('ternary');
  const dense = await run('f32');
  // f32 sums round differently from exact integer ones, which now and then moves a later layer's
  // int8 activation by one step: most tokens agree to 1e-3, a few differ a little.
  let agreeing = 0;
  let meanDiff = 0;
  for (let t = 0; t < prompt.length; t++) {
    let max = 0;
    for (let v = 0; v < V; v++) {
      const d = Math.abs(dense.all[t * V + v] - ternary.all[t * V + v]);
      max = Math.max(max, d);
      meanDiff += d / dense.all.length;
    }
    if (max < 1e-3) agreeing++;
  }
  check(agreeing >= 0.7 * prompt.length, `tokens whose logits agree to 1e-3: ${agreeing} of ${prompt.length}`);
  check(meanDiff < 0.01, `mean |difference| ${meanDiff}`);
  check(dense.bytes > 4 * ternary.bytes, `f32 weights take more memory: ${dense.bytes} vs ${ternary.bytes} bytes`);
});
