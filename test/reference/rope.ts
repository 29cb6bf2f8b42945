// RoPE for the CPU reference: the inverse frequencies of each rope type in float32, step by step
// as transformers' modeling_rope_utils.py computes them, and the rotation with rotate_half pairing.
import type { RopeSpec } from './architecture.ts';

const f = Math.fround;

/** inv_freq[i] = 1 / theta^(2i / d), i < d/2, in float32. */
function defaultInverseFrequencies(theta: number, headDim: number): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f(1 / f(Math.pow(theta, f((2 * i) / headDim))));
  return inv;
}

/** The inverse frequency of each of the head's headDim / 2 rotation pairs. */
export function ropeInverseFrequencies(rope: RopeSpec, headDim: number): Float32Array {
  const inv = defaultInverseFrequencies(rope.theta, headDim);
  if (rope.type === 'default') return inv;
  if (rope.type === 'linear') return inv.map((v) => f(v / rope.factor));
  // llama3: wavelengths shorter than original/high are kept, longer than original/low divided by
  // factor, and those between interpolated by how many rotations fit the original context.
  const lowFreqWavelen = f(rope.originalMaxPositions / rope.lowFreqFactor);
  const highFreqWavelen = f(rope.originalMaxPositions / rope.highFreqFactor);
  return inv.map((v) => {
    const wavelen = f(f(2 * Math.PI) / v);
    const scaled = wavelen > lowFreqWavelen ? f(v / rope.factor) : v;
    if (wavelen < highFreqWavelen || wavelen > lowFreqWavelen) return scaled;
    const smooth = f(
      f(f(rope.originalMaxPositions / wavelen) - rope.lowFreqFactor) / (rope.highFreqFactor - rope.lowFreqFactor),
    );
    return f(f(f(f(1 - smooth) * scaled) / rope.factor) + f(smooth * scaled));
  });
}

/** Rotates one head's vector in place at `position`: element i pairs with element i + d/2. */
export function applyRope(v: Float32Array, position: number, invFreq: Float32Array): void {
  const half = invFreq.length;
  for (let i = 0; i < half; i++) {
    const angle = f(position * invFreq[i]);
    const c = f(Math.cos(angle));
    const s = f(Math.sin(angle));
    const x1 = v[i];
    const x2 = v[i + half];
    v[i] = f(f(x1 * c) - f(x2 * s));
    v[i + half] = f(f(x2 * c) + f(x1 * s));
  }
}
