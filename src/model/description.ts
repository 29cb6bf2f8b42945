// What a model is, as the weight upload, the buffer plan and the schedule need it: its shape and
// the structure of its blocks, normalized from config.json. A new architecture is described here
// (and parsed in config.ts); the schedule's op list follows the description.
import type { BitNetConfig } from './config.ts';

/** transformers' BitNetForCausalLM (BitNet b1.58): the only architecture so far. */
export type Architecture = 'bitnet';

/**
 * The MLP computes act(gate) * up; `relu2` is relu(gate)^2 (BitNet b1.58). A SiLU gate (llama
 * family) is a new value here and a kernel for it.
 */
export type MlpActivation = 'relu2';

/** A model's shape and block structure. Shape fields are named as in BitNetConfig. */
export interface ModelDescription {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  /** Query heads; numHeads / numKvHeads of them share each key/value head (grouped-query attention). */
  numHeads: number;
  numKvHeads: number;
  /** Channels per head; may differ from hiddenSize / numHeads. */
  headDim: number;
  /** Epsilon of every RMSNorm (the model's norms are all RMSNorms). */
  rmsNormEps: number;
  /** Rotary position embeddings: the base of the angles (unscaled, transformers' 'default' type). */
  rope: { theta: number };
  maxPositionEmbeddings: number;
  /** The lm_head is the embedding table: no lm_head.weight is read. */
  tieWordEmbeddings: boolean;
  /**
   * Each block also normalizes the attention output before o_proj (attn_sub_norm) and the MLP's
   * gated state before down_proj (ffn_sub_norm). Always so for BitNet b1.58; a block without them
   * (llama family) needs a quantize-only op in their place.
   */
  subNorms: true;
  mlpActivation: MlpActivation;
}

/** The description of a parsed config (parseBitNetConfig has refused anything else). */
export function describeModel(c: BitNetConfig): ModelDescription {
  return {
    architecture: 'bitnet',
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    rmsNormEps: c.rmsNormEps,
    rope: { theta: c.ropeTheta },
    maxPositionEmbeddings: c.maxPositionEmbeddings,
    tieWordEmbeddings: c.tieWordEmbeddings,
    subNorms: true,
    mlpActivation: 'relu2',
  };
}
