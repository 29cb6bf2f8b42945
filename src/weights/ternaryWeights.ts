import { createStorageBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { blocksFor, WORDS_PER_BLOCK } from './ternaryLayout.ts';
import { splitIntoParts, type WeightMatrix } from './weightParts.ts';

/**
 * A ternary matrix [rows, cols] on the GPU, in the layout of ternaryLayout.ts. Each part holds the
 * packed codes and an f32 per row: the divisor d in y = acc / (s_x * d).
 */
export interface TernaryWeights extends WeightMatrix<'ternary', readonly [weights: GPUBuffer, rowScale: GPUBuffer]> {
  /** 64-column blocks per row. */
  kBlocks: number;
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
  const rowWords = kBlocks * WORDS_PER_BLOCK;
  if (packed.length !== rows * rowWords) {
    throw new InvalidArgumentError(
      `${label}: packed weights hold ${packed.length} words, a ${rows} x ${cols} matrix needs ${rows * rowWords}`,
    );
  }
  if (rowScale.length !== rows) {
    throw new InvalidArgumentError(`${label}: ${rowScale.length} row scales for ${rows} rows`);
  }
  const parts = splitIntoParts(
    label,
    rows,
    rowWords * 4,
    maxBindingBytes,
    (rowStart, n) =>
      [
        createStorageBuffer(
          device,
          `${label}[${rowStart}:]`,
          packed.subarray(rowStart * rowWords, (rowStart + n) * rowWords),
        ),
        createStorageBuffer(device, `${label}.scale[${rowStart}:]`, rowScale.subarray(rowStart, rowStart + n)),
      ] as const,
  );
  return { format: 'ternary', label, rows, cols, kBlocks, parts, bytes: rows * rowWords * 4 + rows * 4 };
}
