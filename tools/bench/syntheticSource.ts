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

/** Random tensors for `shape`; its config goes through parseBitNetConfig first, and a refused one throws. */
export function syntheticSource(shape: ModelShape, seed = 1): ModelTensorSource {
  const config = shapeConfig(shape);
  const next = xorshift(seed);
  return {
    config,
    has: () => true,
    check: (_r: TensorRequest) => {},
    async ternary(_name, rows, cols) {
      const packed = new Uint32Array(rows * blocksFor(cols) * WORDS_PER_BLOCK);
      for (let i = 0; i < packed.length; i++) packed[i] = next() & 0xaaaaaaaa;
      return { rows, cols, packed, rowScale: new Float32Array(rows).fill(1.5) };
    },
    async vector(_name, length) {
      return new Float32Array(length).fill(1);
    },
    async bf16Matrix(_name, rows, cols) {
      const words = new Uint32Array((rows * cols) / 2);
      // bf16 pairs of magnitude ~2^-5..2^-4 with random signs and mantissas
      for (let i = 0; i < words.length; i++) words[i] = (next() & 0x807f807f) | 0x3d003d00;
      return { rows, cols, words };
    },
  };
}
