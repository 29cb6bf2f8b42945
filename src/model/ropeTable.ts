/**
 * cos/sin of the rotary angles for positions [0, positions), computed as transformers does:
 * inv_freq = 1 / theta^(2i/d) in float32, angle = float32(pos * inv_freq), then cos/sin rounded
 * to float32. A table avoids GPU sin/cos, whose accuracy WGSL leaves loose for large angles.
 */
export function ropeTable(theta: number, headDim: number, positions: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim)));
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
