import { createStorageBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { splitRows, type RowRange } from '../gpu/rowParts.ts';
import { blocksFor, WORDS_PER_BLOCK } from '../weights/ternaryLayout.ts';

/** A slice of rows stored in its own buffers, small enough for one storage binding. */
export interface TernaryPart extends RowRange {
  weights: GPUBuffer;
  /** f32 per row: the divisor d in y = acc / (s_x * d). */
  rowScale: GPUBuffer;
}

/** A ternary matrix [rows, cols] on the GPU, in the layout of ternaryLayout.ts. */
export interface TernaryWeights {
  format: 'ternary';
  label: string;
  rows: number;
  cols: number;
  kBlocks: number;
  parts: TernaryPart[];
  /** GPU bytes held (weights and row scales). */
  bytes: number;
}

/**
 * Uploads packed ternary weights, split into row ranges that each fit the adapter's storage
 * binding limit. `packed` is in the GPU layout; `rowScale` has one divisor per row.
 * `maxBindingBytes` defaults to the device's limit (tests lower it to exercise the split).
 */
export function uploadTernaryWeights(
  device: GPUDevice,
  label: string,
  packed: Uint32Array,
  rowScale: Float32Array,
  rows: number,
  cols: number,
  maxBindingBytes = device.limits.maxStorageBufferBindingSize,
): TernaryWeights {
  if (!(rows > 0 && cols > 0 && Number.isInteger(rows) && Number.isInteger(cols))) {
    throw new InvalidArgumentError(
      `${label}: a ternary matrix needs positive integer rows and cols, got ${rows} x ${cols}`,
    );
  }
  const kBlocks = blocksFor(cols);
  const rowBytes = kBlocks * WORDS_PER_BLOCK * 4;
  if (packed.length !== rows * kBlocks * WORDS_PER_BLOCK) {
    throw new InvalidArgumentError(
      `${label}: packed weights hold ${packed.length} words, a ${rows} x ${cols} matrix needs ${rows * kBlocks * WORDS_PER_BLOCK}`,
    );
  }
  if (rowScale.length !== rows) {
    throw new InvalidArgumentError(`${label}: ${rowScale.length} row scales for ${rows} rows`);
  }
  const parts: TernaryPart[] = splitRows(label, rows, rowBytes, maxBindingBytes).map(({ rowStart, rows: n }) => {
    const wordStart = rowStart * kBlocks * WORDS_PER_BLOCK;
    return {
      rowStart,
      rows: n,
      weights: createStorageBuffer(
        device,
        `${label}[${rowStart}:]`,
        packed.subarray(wordStart, wordStart + n * kBlocks * WORDS_PER_BLOCK),
      ),
      rowScale: createStorageBuffer(device, `${label}.scale[${rowStart}:]`, rowScale.subarray(rowStart, rowStart + n)),
    };
  });
  return { format: 'ternary', label, rows, cols, kBlocks, parts, bytes: rows * rowBytes + rows * 4 };
}

export function destroyTernaryWeights(w: TernaryWeights): void {
  for (const part of w.parts) {
    part.weights.destroy();
    part.rowScale.destroy();
  }
}
