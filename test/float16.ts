// IEEE half floats on the CPU, as checkpoints store F16 tensors: for the test fixtures' writers
// and what they expect back. Decoding is the loader's own f16ToF32.
import { f16ToF32 } from '../src/loader/dtypes.ts';

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** float32 -> IEEE half bits, rounding to nearest even (as numpy's astype(float16) and torch's .half()). */
export function f32ToF16Bits(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // a carry into the exponent is right
  return sign | r;
}

/** A float32 rounded to half precision, as a number (beyond the half range: infinite). */
export function roundToF16(x: number): number {
  return f16ToF32(f32ToF16Bits(x));
}
