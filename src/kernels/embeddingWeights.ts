import type { Bf16Weights } from './bf16Weights.ts';
import type { Int8Weights } from './int8Weights.ts';

/** The embedding table / lm_head: bf16 as in the checkpoint, or int8 with block scales (half the bytes). */
export type EmbeddingWeights = Bf16Weights | Int8Weights;
export type EmbeddingFormat = EmbeddingWeights['format'];

/** Each part's row range and its buffers (values, then int8 scales). */
export function embeddingParts(w: EmbeddingWeights): { rowStart: number; rows: number; buffers: GPUBuffer[] }[] {
  if (w.format === 'int8')
    return w.parts.map((p) => ({ rowStart: p.rowStart, rows: p.rows, buffers: [p.buffer, p.scales] }));
  return w.parts.map((p) => ({ rowStart: p.rowStart, rows: p.rows, buffers: [p.buffer] }));
}

/** Frees every buffer of the table. */
export function destroyEmbeddingWeights(w: EmbeddingWeights): void {
  for (const part of embeddingParts(w)) for (const b of part.buffers) b.destroy();
}
