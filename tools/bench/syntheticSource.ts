// Models of real shapes with seeded random weights, generated on the fly (no download, no file):
// what the throughput benchmarks load. Ternary codes are valid (-1 or +1), bf16 values are small.
import type { BitNetConfig } from '../../src/model/config.ts';
import type { TensorRequest } from '../../src/weights/tensorSource.ts';
import type { ModelTensorSource } from '../../src/model/tensorPlan.ts';
import { blocksFor, WORDS_PER_BLOCK } from '../../src/weights/ternaryLayout.ts';

function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

export interface ModelShape {
  name: string;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  tied: boolean;
  maxPositions?: number;
}

/** The shapes the benchmarks report (published configurations). */
export const MODEL_SHAPES: ModelShape[] = [
  { name: 'tiny-a', hidden: 256, intermediate: 688, layers: 2, heads: 4, kvHeads: 2, vocab: 1024, tied: true },
  {
    name: 'bitnet_b1_58-large (0.7B)',
    hidden: 1536,
    intermediate: 4096,
    layers: 24,
    heads: 16,
    kvHeads: 16,
    vocab: 32002,
    tied: false,
  },
  {
    name: 'bitnet-b1.58-2B-4T',
    hidden: 2560,
    intermediate: 6912,
    layers: 30,
    heads: 20,
    kvHeads: 5,
    vocab: 128256,
    tied: true,
  },
  {
    name: 'bitnet_b1_58-3B',
    hidden: 3200,
    intermediate: 8640,
    layers: 26,
    heads: 32,
    kvHeads: 32,
    vocab: 32002,
    tied: false,
  },
  {
    name: 'Llama3-8B-1.58',
    hidden: 4096,
    intermediate: 14336,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    vocab: 128256,
    tied: false,
  },
  // no published checkpoint: a Llama-style shape of ~100B parameters (99B in linear layers, ~25 GB at 2 bits)
  {
    name: 'ternary-100B',
    hidden: 10240,
    intermediate: 27648,
    layers: 92,
    heads: 80,
    kvHeads: 8,
    vocab: 128256,
    tied: false,
  },
];

export function shapeConfig(s: ModelShape): BitNetConfig {
  return {
    family: 'bitnet',
    vocabSize: s.vocab,
    hiddenSize: s.hidden,
    intermediateSize: s.intermediate,
    numLayers: s.layers,
    numHeads: s.heads,
    numKvHeads: s.kvHeads,
    headDim: s.hidden / s.heads,
    rmsNormEps: 1e-5,
    hiddenAct: 'relu2',
    ropeTheta: 500000,
    ropeScaling: { type: 'default' },
    maxPositionEmbeddings: s.maxPositions ?? 4096,
    tieWordEmbeddings: s.tied,
    bosTokenId: 1,
    eosTokenIds: [],
    quantization: { mode: 'offline', linearClass: 'bitlinear', linearNormEps: null },
  };
}

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
