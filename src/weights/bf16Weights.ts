import { createStorageBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { splitIntoParts, type WeightMatrix } from './weightParts.ts';

/** A bf16 matrix [rows, cols] (embeddings, lm_head): two values per u32, low half first. */
export type Bf16Weights = WeightMatrix<'bf16', readonly [values: GPUBuffer]>;

/** Uploads a bf16 matrix split into row ranges that each fit one storage binding. */
export function uploadBf16Weights(
  device: GPUDevice,
  label: string,
  words: Uint32Array,
  rows: number,
  cols: number,
  maxBindingBytes = device.limits.maxStorageBufferBindingSize,
): Bf16Weights {
  if (!(rows > 0 && cols > 0 && cols % 2 === 0)) {
    throw new InvalidArgumentError(
      `${label}: a bf16 matrix needs rows > 0 and an even column count, got ${rows} x ${cols}`,
    );
  }
  const wordsPerRow = cols / 2;
  if (words.length !== rows * wordsPerRow) {
    throw new InvalidArgumentError(
      `${label}: ${words.length} words for a ${rows} x ${cols} bf16 matrix (needs ${rows * wordsPerRow})`,
    );
  }
  const parts = splitIntoParts(
    label,
    rows,
    wordsPerRow * 4,
    maxBindingBytes,
    (rowStart, n) =>
      [
        createStorageBuffer(
          device,
          `${label}[${rowStart}:]`,
          words.subarray(rowStart * wordsPerRow, (rowStart + n) * wordsPerRow),
        ),
      ] as const,
  );
  return { format: 'bf16', label, rows, cols, parts, bytes: words.byteLength };
}
