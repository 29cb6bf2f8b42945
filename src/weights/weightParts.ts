// What every GPU weight format has in common: a matrix split by rows into parts, each part's
// arrays in buffers of their own, and one way to free them.
import { GpuLimitError } from '../errors.ts';

/**
 * Rows `rowStart .. rowStart + rows` of a weight matrix, in buffers small enough for one storage
 * binding each. `buffers` holds the format's arrays in the order its kernels bind them (the
 * values first, then any scales); each format names them in its own tuple type.
 */
export interface WeightPart<Buffers extends readonly GPUBuffer[] = readonly GPUBuffer[]> {
  rowStart: number;
  rows: number;
  buffers: Buffers;
}

/** A weight matrix [rows, cols] on the GPU in one of the formats of src/weights/. */
export interface WeightMatrix<Format extends string, Buffers extends readonly GPUBuffer[]> {
  format: Format;
  /** The tensor's name, for messages and buffer labels. */
  label: string;
  rows: number;
  cols: number;
  parts: WeightPart<Buffers>[];
  /** GPU bytes held by all parts. */
  bytes: number;
}

/**
 * Splits `rows` rows of `rowBytes` each (the format's largest array) into ranges that fit one
 * storage binding, and makes each range's buffers with `buffersOf`: a 2B model's embedding table
 * (657 MB in bf16) exceeds lavapipe's 128 MiB and Chrome's default limits.
 */
export function splitIntoParts<Buffers extends readonly GPUBuffer[]>(
  label: string,
  rows: number,
  rowBytes: number,
  maxBindingBytes: number,
  buffersOf: (rowStart: number, rows: number) => Buffers,
): WeightPart<Buffers>[] {
  const rowsPerPart = Math.floor(maxBindingBytes / rowBytes);
  if (rowsPerPart < 1) {
    throw new GpuLimitError(
      `${label}: one row (${rowBytes} bytes) exceeds the storage binding limit of ${maxBindingBytes} bytes`,
    );
  }
  const parts: WeightPart<Buffers>[] = [];
  for (let rowStart = 0; rowStart < rows; rowStart += rowsPerPart) {
    const n = Math.min(rowsPerPart, rows - rowStart);
    parts.push({ rowStart, rows: n, buffers: buffersOf(rowStart, n) });
  }
  return parts;
}

/** Frees every buffer of a weight matrix, whatever its format. */
export function destroyWeights(w: { parts: readonly WeightPart[] }): void {
  for (const part of w.parts) for (const buffer of part.buffers) buffer.destroy();
}
