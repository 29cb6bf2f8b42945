import { createStorageBuffer } from '../gpu/buffers.ts';
import { splitRows, type RowRange } from '../gpu/rowParts.ts';
import { BLOCK_COLUMNS, blocksFor, toActivationOrder, WORDS_PER_BLOCK } from '../weights/ternaryLayout.ts';

export interface DensePart extends RowRange {
  weights: GPUBuffer;
}

/**
 * A full-precision (f32) linear layer [rows, cols]: the dense baseline the benchmarks run beside the
 * ternary model. Rows are padded to whole 64-column blocks (zeros), as the activations are.
 */
export interface DenseWeights {
  format: 'f32';
  label: string;
  rows: number;
  cols: number;
  kBlocks: number;
  parts: DensePart[];
  bytes: number;
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
export function uploadDenseWeights(
  device: GPUDevice,
  label: string,
  values: Float32Array,
  rows: number,
  cols: number,
): DenseWeights {
  const kBlocks = blocksFor(cols);
  const rowFloats = kBlocks * BLOCK_COLUMNS;
  const parts = splitRows(label, rows, rowFloats * 4, device.limits.maxStorageBufferBindingSize).map(
    ({ rowStart, rows: n }) => ({
      rowStart,
      rows: n,
      weights: createStorageBuffer(
        device,
        `${label}[${rowStart}:]`,
        toActivationOrder(values.subarray(rowStart * rowFloats, (rowStart + n) * rowFloats), n, rowFloats),
      ),
    }),
  );
  return { format: 'f32', label, rows, cols, kBlocks, parts, bytes: values.byteLength };
}

export function destroyDenseWeights(w: DenseWeights): void {
  for (const part of w.parts) part.weights.destroy();
}
