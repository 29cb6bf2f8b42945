// The slow, obvious CPU reference for BitLinear: float32 arithmetic as torch does it.
import type { RoundingTies } from './roundingTies.ts';

const f = Math.fround;

/** round half to even, as torch.round and WGSL round() do. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface QuantizedRows {
  q: Int8Array; // [rows, cols]
  scale: Float32Array; // [rows]
}

/**
 * s = 127 / max(max|x|, 1e-5); q = clamp(round(x * s), -128, 127), per row, in float32. `ties`
 * records the values that sit on a rounding tie (and may round one the other way).
 */
export function quantizeRows(x: Float32Array, rows: number, cols: number, ties?: RoundingTies): QuantizedRows {
  const round = ties?.rounding(x);
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(x[r * cols + c]));
    const s = f(127 / Math.max(m, f(1e-5)));
    scale[r] = s;
    for (let c = 0; c < cols; c++) {
      const v = f(x[r * cols + c] * s);
      const rounded = roundHalfEven(v);
      const code = round ? round(r * cols + c, v, rounded) : rounded;
      q[r * cols + c] = Math.min(127, Math.max(-128, code));
    }
  }
  return { q, scale };
}

/** Exact integer accumulators acc[m, n] = sum_k q[m, k] * w[n, k]. */
export function ternaryAccumulators(q: Int8Array, w: Int8Array, m: number, n: number, k: number): Int32Array {
  const acc = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += q[i * k + c] * w[j * k + c];
      acc[i * n + j] = s;
    }
  }
  return acc;
}

/** y = acc / (s_x * d) in float32. */
export function bitLinearOutput(
  acc: Int32Array,
  scale: Float32Array,
  rowScale: Float32Array,
  m: number,
  n: number,
): Float32Array {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[i * n + j] = f(acc[i * n + j] / f(scale[i] * rowScale[j]));
  return y;
}
