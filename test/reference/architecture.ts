// The normalized description of a model's math that the CPU reference runs: one shape for every
// family (transformers' `bitnet`, `llama` + BitNet quantization, 1bitLLM), independent of how a
// config.json spells it. `referenceConfig.ts` reads a config.json into it; a runtime that reads a
// config can be checked field by field against what the reference makes of the same file.

/** How RoPE's per-pair inverse frequencies are derived from rope_theta (transformers' rope types). */
export type RopeSpec =
  | { type: 'default'; theta: number }
  /** Every inverse frequency divided by `factor` (positions stretched). */
  | { type: 'linear'; theta: number; factor: number }
  /** Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth ramp between. */
  | {
      type: 'llama3';
      theta: number;
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    };

export interface RefArchitecture {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** May differ from hiddenSize / numHeads (then q_proj has numHeads * headDim rows). */
  headDim: number;
  /** eps of every RMSNorm of the decoder (not of the norms inside BitLinear). */
  rmsNormEps: number;
  /** The gated MLP's activation on gate_proj: relu(g)^2 (BitNet) or g * sigmoid(g) (Llama, 1bitLLM). */
  activation: 'relu2' | 'silu';
  /**
   * An RMSNorm on the attention output before o_proj and on the MLP product before down_proj
   * (BitNet's attn_sub_norm / ffn_sub_norm, 1bitLLM's inner_attn_ln / ffn_layernorm).
   */
  subNorms: boolean;
  /**
   * transformers' quantization_config.use_rms_norm: every BitLinear normalizes its input with an
   * RMSNorm of its own (weight `<linear>.rms_norm.weight`, this eps) before quantizing it; null: none.
   */
  linearNormEps: number | null;
  rope: RopeSpec;
  tieWordEmbeddings: boolean;
}
