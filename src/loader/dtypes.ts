// Conversions between the float formats checkpoints use and what the GPU layout stores.

/** bf16 / f16 / f32 little-endian bytes -> Float32Array. */
export function toFloat32(bytes: Uint8Array, dtype: 'BF16' | 'F16' | 'F32'): Float32Array {
  const copy = bytes.slice(); // aligned, and detached from the source buffer
  if (dtype === 'F32') return new Float32Array(copy.buffer);
  const halves = new Uint16Array(copy.buffer);
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  } else {
    for (let i = 0; i < halves.length; i++) out[i] = f16ToF32(halves[i]);
  }
  return out;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Float32 -> bf16 bits, round to nearest even (as torch's .to(torch.bfloat16)). */
export function f32ToBf16(bits32: number): number {
  if ((bits32 & 0x7f800000) === 0x7f800000 && bits32 & 0x7fffff) return (bits32 >>> 16) | 0x40; // keep NaN a NaN
  return ((bits32 + 0x7fff + ((bits32 >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A float tensor as bf16 pairs in u32 words (low half first); bf16 input is copied bit for bit. */
export function toBf16Words(bytes: Uint8Array, dtype: 'BF16' | 'F16' | 'F32'): Uint32Array {
  if (dtype === 'BF16') return new Uint32Array(bytes.slice().buffer);
  const f = toFloat32(bytes, dtype);
  const bits = new Uint32Array(f.buffer);
  const out = new Uint32Array(Math.ceil(f.length / 2));
  for (let i = 0; i < f.length; i++) out[i >> 1] |= f32ToBf16(bits[i]) << (16 * (i & 1));
  return out;
}
