// The GGUF architectures this library loads, and how their tensor names map to the Hugging Face
// names the model asks for. Sources: docs/gguf.md.

/** What a GGUF `general.architecture` means, in transformers' terms. */
export interface GgufArchitecture {
  /** transformers' model_type of the same network. */
  modelType: 'bitnet' | 'llama';
  /**
   * The FFN activation (transformers' hidden_act). Upstream llama.cpp's `bitnet` reads it from
   * `{arch}.hidden_activation` and falls back to SiLU (1bitLLM's models); bitnet.cpp's names for
   * microsoft's 2B-4T graph use relu2; `llama` is always SiLU.
   */
  activation: { key: true; fallback: 'silu' } | { key: false; value: 'silu' | 'relu2' };
  /** BitNet's sub-norms before o_proj and down_proj (attn_sub_norm, ffn_sub_norm). */
  subNorms: boolean;
  /** llama.cpp permutes Q and K rows for this architecture (its RoPE pairs adjacent elements). */
  permutesQK: boolean;
}

export const GGUF_ARCHITECTURES: Readonly<Record<string, GgufArchitecture>> = {
  llama: { modelType: 'llama', activation: { key: false, value: 'silu' }, subNorms: false, permutesQK: true },
  bitnet: { modelType: 'bitnet', activation: { key: true, fallback: 'silu' }, subNorms: true, permutesQK: false },
  'bitnet-25': { modelType: 'bitnet', activation: { key: false, value: 'relu2' }, subNorms: true, permutesQK: false },
  'bitnet-b1.58': {
    modelType: 'bitnet',
    activation: { key: false, value: 'relu2' },
    subNorms: true,
    permutesQK: false,
  },
};

/** Per layer: Hugging Face name (after `model.layers.N.`) -> GGUF name (after `blk.N.`). */
const LAYER_TENSORS: readonly [hf: string, gguf: string, subNorm?: boolean][] = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['self_attn.attn_sub_norm.weight', 'attn_sub_norm.weight', true],
  ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  ['mlp.up_proj.weight', 'ffn_up.weight'],
  ['mlp.down_proj.weight', 'ffn_down.weight'],
  ['mlp.ffn_sub_norm.weight', 'ffn_sub_norm.weight', true],
];
const GLOBAL_TENSORS: readonly [hf: string, gguf: string][] = [
  ['model.embed_tokens.weight', 'token_embd.weight'],
  ['model.norm.weight', 'output_norm.weight'],
  ['lm_head.weight', 'output.weight'],
];
/** The linear (BitLinear) weights of a layer, by GGUF name. */
const LINEAR_TENSORS = new Set(LAYER_TENSORS.filter(([hf]) => hf.endsWith('_proj.weight')).map(([, g]) => g));

/**
 * The GGUF name of a tensor the model asks for by its Hugging Face name, with or without the
 * `.weight` suffix (linear weights are asked for without it); undefined if it has none.
 */
export function ggufTensorName(hfName: string): string | undefined {
  const name = hfName.endsWith('.weight') ? hfName : `${hfName}.weight`;
  const global = GLOBAL_TENSORS.find(([hf]) => hf === name);
  if (global) return global[1];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const layer = m && LAYER_TENSORS.find(([hf]) => hf === m[2]);
  return layer ? `blk.${Number(m[1])}.${layer[1]}` : undefined;
}

/** Whether a GGUF name is a linear weight (`blk.N.attn_q.weight` ...). */
export function isLinearTensor(ggufName: string): boolean {
  const m = /^blk\.\d+\.(.+)$/.exec(ggufName);
  return m !== null && LINEAR_TENSORS.has(m[1]);
}

/** The per-tensor scale llama.cpp's `bitnet` may store beside a linear weight (`blk.N.attn_q.scale`). */
export function scaleTensorName(ggufLinearName: string): string {
  return ggufLinearName.replace(/\.weight$/, '.scale');
}

/** Every tensor name a model of `arch` with `layers` layers may hold (output.weight only when untied). */
export function expectedTensorNames(arch: GgufArchitecture, layers: number): Set<string> {
  const names = new Set(GLOBAL_TENSORS.map(([, g]) => g));
  for (let i = 0; i < layers; i++) {
    for (const [, g, subNorm] of LAYER_TENSORS) {
      if (subNorm && !arch.subNorms) continue;
      names.add(`blk.${i}.${g}`);
      if (LINEAR_TENSORS.has(g)) names.add(`blk.${i}.${scaleTensorName(g)}`);
    }
  }
  return names;
}
