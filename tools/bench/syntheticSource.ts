// Models of real shapes (tools/bench/modelShapes.ts) with seeded random weights, generated on the
// fly (no download, no file): what the throughput benchmarks load. Ternary codes are valid (-1 or
// +1), bf16 values are small.
import type { TensorRequest } from '../../src/weights/tensorSource.ts';
import type { ModelTensorSource } from '../../src/model/tensorPlan.ts';
import { blocksFor, WORDS_PER_BLOCK } from '../../src/weights/ternaryLayout.ts';
import { shapeConfig, type ModelShape } from './modelShapes.ts';

function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Random words a source draws from: 4 MiB, generated once per source. */
const POOL_WORDS = 1 << 20;

/**
 * `out` filled with `pool` from a random offset on, wrapping around: tensors cost a copy, not a
 * random number per word (the ~100B shape's 25 GB took about a minute of xorshift).
 */
function fillFromPool(out: Uint32Array, pool: Uint32Array, next: () => number): Uint32Array {
  let at = next() % pool.length;
  for (let o = 0; o < out.length;) {
    const n = Math.min(pool.length - at, out.length - o);
    out.set(pool.subarray(at, at + n), o);
    o += n;
    at = 0;
  }
  return out;
}

/** Random tensors for `shape`; its config goes through parseBitNetConfig first, and a refused one throws. */
export function syntheticSource(shape: ModelShape, seed = 1): ModelTensorSource {
  const config = shapeConfig(shape);
  const next = xorshift(seed);
  // ternary codes 0 or 2 (weights -1 or +1); bf16 pairs of magnitude ~2^-5..2^-4 with random signs and mantissas
  const codes = Uint32Array.from({ length: POOL_WORDS }, () => next() & 0xaaaaaaaa);
  const bf16Pairs = Uint32Array.from({ length: POOL_WORDS }, () => (next() & 0x807f807f) | 0x3d003d00);
  return {
    config,
    has: () => true,
    check: (_r: TensorRequest) => {},
    async ternary(_name, rows, cols) {
      const packed = fillFromPool(new Uint32Array(rows * blocksFor(cols) * WORDS_PER_BLOCK), codes, next);
      return { rows, cols, packed, rowScale: new Float32Array(rows).fill(1.5) };
    },
    async vector(_name, length) {
      return new Float32Array(length).fill(1);
    },
    async bf16Matrix(_name, rows, cols) {
      return { rows, cols, words: fillFromPool(new Uint32Array((rows * cols) / 2), bf16Pairs, next) };
    },
  };
}
