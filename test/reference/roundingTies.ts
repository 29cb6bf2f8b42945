// Where the reference's int8 activation rounding is ambiguous. A value x * s that lands on, or within
// float32 noise of, k + 0.5 rounds to k or k + 1 depending on the last bits of a float32 computation,
// which the GPU kernels order differently (WGSL fixes neither the order of a sum nor the last ulp of
// inverseSqrt). Either code is right, yet a model of random weights can turn that one code into
// logits off by 2: CONFIG_VARIANTS seed 101 meets x * s = 63.5 exactly in its reference, and an NVIDIA
// GPU rounds it the other way. RoundingTies records such values during a reference run, and replays
// a run with one of them rounded the other way.

import { roundHalfEven } from './bitlinear.ts';

/** Distance from a tie, relative to the value, within which either rounding is float32 noise (~16 ulps). */
const TIE_MARGIN = 2e-6;

/** A rounding tie: column `col` of the `site`-th distinct quantized row of a run, and its value x * s. */
export interface Tie {
  site: number;
  col: number;
  value: number;
}

/** How far the other rounding of `value` lies from its round-half-to-even code: -1 or +1. */
export function otherRounding(value: number): -1 | 1 {
  return roundHalfEven(value) > value ? -1 : 1;
}

export class RoundingTies {
  private readonly found: (Tie & { margin: number })[] = [];
  private readonly sites = new WeakMap<Float32Array, number>();
  private siteCount = 0;

  /** `flip`: the tie (from a run of the same model and tokens) to round the other way in this run. */
  constructor(private readonly flip?: Tie) {}

  /**
   * How quantized row `row` rounds: from (column, x * s, its code by round half to even) to the code
   * to use. One site per distinct array, so that q, k and v quantizing the same normalized row share
   * it (as the GPU quantizes it once) and its ties are recorded once; runs over the same tokens
   * number their sites alike.
   */
  rounding(row: Float32Array): (col: number, value: number, rounded: number) => number {
    const known = this.sites.get(row);
    const site = known ?? this.siteCount++;
    this.sites.set(row, site);
    return (col, value, rounded) => {
      const margin = Math.abs(Math.abs(value - Math.floor(value)) - 0.5);
      if (known === undefined && margin <= TIE_MARGIN * Math.max(1, Math.abs(value)))
        this.found.push({ site, col, value, margin });
      if (this.flip?.site === site && this.flip.col === col) return rounded + otherRounding(value);
      return rounded;
    };
  }

  /** Up to `count` of the ties met, the closest to k + 0.5 first. */
  nearest(count: number): Tie[] {
    return [...this.found]
      .sort((a, b) => a.margin - b.margin)
      .slice(0, count)
      .map(({ site, col, value }) => ({ site, col, value }));
  }
}
