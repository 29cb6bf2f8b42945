import { GpuLimitError } from '../errors.ts';

/** A row range of a matrix that is stored in its own buffer(s). */
export interface RowRange {
  rowStart: number;
  rows: number;
}

/**
 * Splits `rows` rows of `rowBytes` each into ranges that fit one storage binding: a 2B model's
 * embedding table (657 MB in bf16) exceeds lavapipe's 128 MiB and Chrome's default limits.
 */
export function splitRows(label: string, rows: number, rowBytes: number, maxBindingBytes: number): RowRange[] {
  const rowsPerPart = Math.floor(maxBindingBytes / rowBytes);
  if (rowsPerPart < 1) {
    throw new GpuLimitError(
      `${label}: one row (${rowBytes} bytes) exceeds the storage binding limit of ${maxBindingBytes} bytes`,
    );
  }
  const ranges: RowRange[] = [];
  for (let rowStart = 0; rowStart < rows; rowStart += rowsPerPart) {
    ranges.push({ rowStart, rows: Math.min(rowsPerPart, rows - rowStart) });
  }
  return ranges;
}
