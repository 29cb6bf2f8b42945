import { createStorageBuffer } from '../gpu/buffers.ts';
import { BLOCK_COLUMNS, blocksFor, toActivationOrder, WORDS_PER_BLOCK } from './ternaryLayout.ts';
import { splitIntoParts, type WeightMatrix } from './weightParts.ts';

/**
 * A full-precision (f32) linear layer [rows, cols]: the dense baseline the benchmarks run beside the
 * ternary model. Rows are padded to whole 64-column blocks (zeros), as the activations are.
 */
export interface F32Weights extends WeightMatrix<'f32', readonly [weights: GPUBuffer]> {
  /** 64-column blocks per row. */
  kBlocks: number;
}

/**
 * The f32 matrix a packed ternary one stands for: w[r, c] = (code - 1) / rowScale[r], so a dense
 * layer computes what the ternary layer computes, with 16x the weight bytes.
 */
export function dequantizeTernary(
  packed: Uint32Array,
  rowScale: Float32Array,
  rows: number,
  cols: number,
): Float32Array {
  const kBlocks = blocksFor(cols);
  const rowWords = kBlocks * WORDS_PER_BLOCK;
  const rowFloats = kBlocks * BLOCK_COLUMNS;
  const out = new Float32Array(rows * rowFloats);
  for (let r = 0; r < rows; r++) {
    const inv = 1 / rowScale[r];
    const values = [-inv, 0, inv, 0];
    for (let i = 0; i < rowWords; i++) {
      const word = packed[r * rowWords + i];
      const o = r * rowFloats + i * 16;
      for (let k = 0; k < 16; k++) out[o + k] = values[(word >>> (2 * k)) & 3];
    }
  }
  return out;
}

/**
 * Uploads a padded f32 matrix (rows x kBlocks*64, columns in order), split into row ranges that fit
 * one binding. Each row is stored in the quantized activations' column order (ternaryLayout.ts), so
 * the kernels pair weight and activation values position by position.
 */
export function uploadF32Weights(
  device: GPUDevice,
  label: string,
  values: Float32Array,
  rows: number,
  cols: number,
): F32Weights {
  const kBlocks = blocksFor(cols);
  const rowFloats = kBlocks * BLOCK_COLUMNS;
  const parts = splitIntoParts(
    label,
    rows,
    rowFloats * 4,
    device.limits.maxStorageBufferBindingSize,
    (rowStart, n) =>
      [
        createStorageBuffer(
          device,
          `${label}[${rowStart}:]`,
          toActivationOrder(values.subarray(rowStart * rowFloats, (rowStart + n) * rowFloats), n, rowFloats),
        ),
      ] as const,
  );
  return { format: 'f32', label, rows, cols, kBlocks, parts, bytes: values.byteLength };
}
