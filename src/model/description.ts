// What a model is, as the weight upload, the buffer plan and the schedule need it: its shape and
// the structure of its blocks, normalized from config.json. A new architecture is described here
// (and parsed in config.ts); the schedule's op list follows the description.
import type { BitNetConfig, ModelFamily } from './config.ts';
import { ropeInverseFrequencies } from './ropeTable.ts';

/** The MLP computes act(gate) * up: `relu2` is relu(gate)^2 (BitNet b1.58), `silu` gate * sigmoid(gate) (Llama). */
export type MlpActivation = 'relu2' | 'silu';

/** A model's shape and block structure. Shape fields are named as in BitNetConfig. */
export interface ModelDescription {
  /** The checkpoint family: which tensors the model has, by name (tensorPlan.ts). */
  family: ModelFamily;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  /** Query heads; numHeads / numKvHeads of them share each key/value head (grouped-query attention). */
  numHeads: number;
  numKvHeads: number;
  /** Channels per head; may differ from hiddenSize / numHeads. */
  headDim: number;
  /** Epsilon of every RMSNorm of the decoder (not of the norms inside BitLinear: linearNormEps). */
  rmsNormEps: number;
  /** Rotary position embeddings: the inverse frequency of each of a head's headDim / 2 pairs, scaling applied. */
  rope: { inverseFrequencies: Float32Array };
  maxPositionEmbeddings: number;
  /** The lm_head is the embedding table: no lm_head.weight is read. */
  tieWordEmbeddings: boolean;
  /**
   * Each block also normalizes the attention output before o_proj and the MLP's gated product
   * before down_proj (BitNet's attn_sub_norm / ffn_sub_norm, 1bitLLM's inner_attn_ln /
   * ffn_layernorm). Without them (llama) those inputs are quantized as they are.
   */
  subNorms: boolean;
  mlpActivation: MlpActivation;
  /**
   * transformers' use_rms_norm: every BitLinear normalizes its input with an RMSNorm of its own
   * (this eps) before quantizing it, so linears that read the same state (q, k, v; gate, up) each
   * quantize a different vector. null: none. Never together with subNorms (config.ts refuses it).
   */
  linearNormEps: number | null;
}

/** The description of a parsed config (parseBitNetConfig has refused anything else). */
export function describeModel(c: BitNetConfig): ModelDescription {
  return {
    family: c.family,
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    rmsNormEps: c.rmsNormEps,
    rope: { inverseFrequencies: ropeInverseFrequencies(c.ropeTheta, c.ropeScaling, c.headDim) },
    maxPositionEmbeddings: c.maxPositionEmbeddings,
    tieWordEmbeddings: c.tieWordEmbeddings,
    subNorms: c.family !== 'llama-bitnet',
    mlpActivation: c.hiddenAct,
    linearNormEps: c.quantization.linearNormEps,
  };
}
