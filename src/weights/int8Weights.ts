import { createStorageBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { splitIntoParts, type WeightMatrix } from './weightParts.ts';

/** Columns sharing one scale: small enough that an outlier spoils only its own block. */
export const INT8_BLOCK = 64;

/**
 * The embedding table / lm_head in int8 with a scale per 64 columns: half the bytes of bf16, so a
 * decode step reads half as much for the lm_head (the largest single read of a 2B model). Each
 * part holds the int8 values, four per u32 (lowest byte first), rows padded with zeros to whole
 * blocks, and an f32 per block of 64 columns: value = int8 * scale.
 */
export interface Int8Weights extends WeightMatrix<'int8', readonly [values: GPUBuffer, scales: GPUBuffer]> {
  blocksPerRow: number;
}

/** Quantizes a bf16 matrix (two values per u32, low half first) to int8 with absmax scales per block. */
export function quantizeBf16ToInt8(
  words: Uint32Array,
  rows: number,
  cols: number,
): { values: Uint32Array; scales: Float32Array; blocksPerRow: number } {
  const blocksPerRow = Math.ceil(cols / INT8_BLOCK);
  const values = new Uint32Array(rows * blocksPerRow * (INT8_BLOCK / 4));
  const bytes = new Int8Array(values.buffer);
  const scales = new Float32Array(rows * blocksPerRow);
  const f32 = new Float32Array(1);
  const bits = new Uint32Array(f32.buffer);
  const row = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const word = words[(r * cols + c) >>> 1];
      bits[0] = c & 1 ? word & 0xffff0000 : word << 16;
      row[c] = f32[0];
    }
    for (let b = 0; b < blocksPerRow; b++) {
      const end = Math.min(cols, (b + 1) * INT8_BLOCK);
      let absmax = 0;
      for (let c = b * INT8_BLOCK; c < end; c++) absmax = Math.max(absmax, Math.abs(row[c]));
      const scale = absmax / 127;
      scales[r * blocksPerRow + b] = scale;
      if (scale === 0) continue;
      const out = (r * blocksPerRow + b) * INT8_BLOCK;
      for (let c = b * INT8_BLOCK; c < end; c++) bytes[out + c - b * INT8_BLOCK] = Math.round(row[c] / scale);
    }
  }
  return { values, scales, blocksPerRow };
}

/** Quantizes and uploads a bf16 matrix, split into row ranges that each fit one storage binding. */
export function uploadInt8Weights(
  device: GPUDevice,
  label: string,
  bf16Words: Uint32Array,
  rows: number,
  cols: number,
): Int8Weights {
  if (!(rows > 0 && cols > 0 && cols % 4 === 0)) {
    throw new InvalidArgumentError(
      `${label}: int8 weights need rows > 0 and a column count divisible by 4, got ${rows} x ${cols}`,
    );
  }
  const { values, scales, blocksPerRow } = quantizeBf16ToInt8(bf16Words, rows, cols);
  const rowWords = blocksPerRow * (INT8_BLOCK / 4);
  const parts = splitIntoParts(
    label,
    rows,
    rowWords * 4,
    device.limits.maxStorageBufferBindingSize,
    (rowStart, n) =>
      [
        createStorageBuffer(
          device,
          `${label}[${rowStart}:]`,
          values.subarray(rowStart * rowWords, (rowStart + n) * rowWords),
        ),
        createStorageBuffer(
          device,
          `${label}.scales[${rowStart}:]`,
          scales.subarray(rowStart * blocksPerRow, (rowStart + n) * blocksPerRow),
        ),
      ] as const,
  );
  return { format: 'int8', label, rows, cols, blocksPerRow, parts, bytes: values.byteLength + scales.byteLength };
}
