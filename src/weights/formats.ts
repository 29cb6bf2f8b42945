// The formats a model's weights take on the GPU, by role.
import type { TernaryWeights } from './ternaryWeights.ts';
import type { F32Weights } from './f32Weights.ts';
import type { Bf16Weights } from './bf16Weights.ts';
import type { Int8Weights } from './int8Weights.ts';

/** A linear layer: packed ternary, or (the benchmarks' dense baseline) the same weights in f32. */
export type LinearWeights = TernaryWeights | F32Weights;

/** How linear layers are placed on the GPU: packed 2-bit (the point of BitNet) or dequantized f32. */
export type LinearFormat = LinearWeights['format'];

/** The embedding table / lm_head: bf16 as in the checkpoint, or int8 with block scales (half the bytes). */
export type EmbeddingWeights = Bf16Weights | Int8Weights;

/** How the embedding table and lm_head are placed on the GPU. */
export type EmbeddingFormat = EmbeddingWeights['format'];
