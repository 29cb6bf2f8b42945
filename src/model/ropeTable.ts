import type { RopeScaling } from './config.ts';

const f = Math.fround;

/**
 * The inverse frequency of each of a head's headDim / 2 rotation pairs, in float32 step by step as
 * transformers' modeling_rope_utils.py computes them: inv_freq_i = 1 / theta^(2i / d), then the
 * rope type's scaling.
 */
export function ropeInverseFrequencies(theta: number, scaling: RopeScaling, headDim: number): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / f(Math.pow(theta, f((2 * i) / headDim)));
  if (scaling.type === 'default') return inv;
  if (scaling.type === 'linear') return inv.map((v) => v / scaling.factor);
  // llama3: wavelengths below original / high_freq_factor are kept, those above original /
  // low_freq_factor divided by factor, and those between blended by how often they turn within
  // the original context.
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: original } = scaling;
  const longest = f(original / low);
  const shortest = f(original / high);
  return inv.map((v) => {
    const wavelength = f(f(2 * Math.PI) / v);
    const scaled = wavelength > longest ? f(v / factor) : v;
    if (wavelength < shortest || wavelength > longest) return scaled;
    const blend = f(f(f(original / wavelength) - low) / f(high - low));
    return f(f(f(f(1 - blend) * scaled) / factor) + f(blend * scaled));
  });
}

/**
 * cos/sin of the rotary angles for positions [0, positions), [positions, inverseFrequencies.length]:
 * angle = float32(pos * inv_freq), cos/sin rounded to float32, as transformers computes them. A
 * table avoids GPU sin/cos, whose accuracy WGSL leaves loose for large angles.
 */
export function ropeTable(
  inverseFrequencies: Float32Array,
  positions: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = inverseFrequencies.length;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * inverseFrequencies[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
