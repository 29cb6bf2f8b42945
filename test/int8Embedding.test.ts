// The int8 embedding table / lm_head: the kernels against the CPU on the same quantized values, and
// the quantization itself against the bf16 values it replaces.
import { test } from 'node:test';
import { createStorageBuffer, readBuffer } from '../src/gpu/buffers.ts';
import { kernelsReady, submitDispatches, type Dispatch } from '../src/gpu/computeKernel.ts';
import { LmHeadKernel } from '../src/kernels/lmHead.ts';
import { EmbedLookupKernel } from '../src/kernels/embedLookup.ts';
import { INT8_BLOCK, quantizeBf16ToInt8, uploadInt8Weights } from '../src/weights/int8Weights.ts';
import { toBf16Words, toFloat32 } from '../src/loader/dtypes.ts';
import { check, checkClose } from './check.ts';
import { testGpuContext } from './gpuContext.ts';
import { randomNormalish, seededRandom } from './random.ts';

/** The value the GPU sees for [r, c]: int8 * block scale. */
function dequantized(q: ReturnType<typeof quantizeBf16ToInt8>, r: number, c: number): number {
  const block = r * q.blocksPerRow + Math.floor(c / INT8_BLOCK);
  return new Int8Array(q.values.buffer)[block * INT8_BLOCK + (c % INT8_BLOCK)] * q.scales[block];
}

async function run(device: GPUDevice, dispatches: Dispatch[]): Promise<void> {
  await kernelsReady(device);
  submitDispatches(device, dispatches);
}

for (const [rows, cols, tokens] of [
  [300, 96, 1],
  [517, 200, 3],
  [64, 256, 2],
  // rows of 72 vec4s: three steps of 32 lanes, the last partly past the row
  [70, 1100, 2],
]) {
  test(`int8 lm_head and embedding lookup, ${rows} x ${cols}, ${tokens} tokens, match the CPU on the quantized values`, async () => {
    const { device, caps } = await testGpuContext();
    const rand = seededRandom(rows + cols);
    const values = randomNormalish(rand, rows * cols, 0.05);
    values[7] = 0.9; // an outlier: it coarsens only its own block
    const words = toBf16Words(new Uint8Array(values.buffer), 'F32');
    const q = quantizeBf16ToInt8(words, rows, cols);
    const bf16 = toFloat32(new Uint8Array(words.buffer), 'BF16');
    for (let i = 0; i < rows * cols; i++) {
      const r = Math.floor(i / cols);
      const c = i % cols;
      const block = r * q.blocksPerRow + Math.floor(c / INT8_BLOCK);
      check(
        Math.abs(dequantized(q, r, c) - bf16[i]) <= (q.scales[block] / 2) * (1 + 1e-5),
        `quantization error at ${r},${c} exceeds half a step`,
      );
    }
    const weights = uploadInt8Weights(device, 'lm_head', words, rows, cols);
    const h = randomNormalish(rand, tokens * cols, 1);
    const y = createStorageBuffer(device, 'y', tokens * rows * 4);
    for (const layout of ['lanes', 'rows'] as const) {
      await run(
        device,
        new LmHeadKernel(device, cols, layout, 'int8').prepare({
          weights,
          h: createStorageBuffer(device, 'h', h),
          y,
          tokens,
        }),
      );
      const expected = new Float32Array(tokens * rows);
      for (let m = 0; m < tokens; m++)
        for (let r = 0; r < rows; r++) {
          let acc = 0;
          for (let c = 0; c < cols; c++) acc += dequantized(q, r, c) * h[m * cols + c];
          expected[m * rows + r] = acc;
        }
      checkClose(
        new Float32Array(await readBuffer(device, y)),
        expected,
        `lm_head (${layout}, ${caps.adapterName})`,
        1e-4,
        1e-5,
      );
    }
    const ids = [rows - 1, 0, 7].slice(0, tokens);
    const x = createStorageBuffer(device, 'x', tokens * cols * 4);
    await run(
      device,
      new EmbedLookupKernel(device, 'int8').prepare({
        weights,
        ids: createStorageBuffer(device, 'ids', new Uint32Array(ids)),
        x,
        tokens,
      }),
    );
    const rowsExpected = Float32Array.from({ length: tokens * cols }, (_, i) =>
      dequantized(q, ids[Math.floor(i / cols)], i % cols),
    );
    checkClose(new Float32Array(await readBuffer(device, x)), rowsExpected, 'embedding rows', 1e-6, 1e-7);
  });
}
