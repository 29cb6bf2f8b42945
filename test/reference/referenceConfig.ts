// The CPU reference's own reading of a Hugging Face config.json, for every family it runs
// (docs/modelFamilies.md). Written apart from src/model/config.ts on purpose, so a runtime that
// misreads a field disagrees with the reference. Strict: what it does not know, it refuses.
import type { RefArchitecture, RopeSpec } from './architecture.ts';

/** How the checkpoint stores the BitLinear weights. */
export type RefWeightStorage =
  /** uint8 [out/4, in] 2-bit codes + `weight_scale`: divided by (linear_class bitlinear) or multiplied by (autobitlinear). */
  | { kind: 'packed'; scale: 'divide' | 'multiply' }
  /** Full-precision master weights, quantized per tensor by absmean when loaded. */
  | { kind: 'master' };

export interface ReferenceConfig {
  family: 'bitnet' | 'llama-bitnet' | '1bitllm';
  arch: RefArchitecture;
  weights: RefWeightStorage;
  /** Tensor names of the sub-norms after `model.layers.N.`, when the architecture has them. */
  subNormNames: { attn: string; ffn: string } | null;
}

type Json = Record<string, unknown>;

function reject(message: string): never {
  throw new Error(`reference config: ${message}`);
}

function positiveInt(c: Json, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) reject(`${key} must be a positive integer`);
  return v;
}

function positiveNumber(c: Json, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !(v > 0)) reject(`${key} must be a positive number`);
  return v;
}

/** rope_parameters (transformers 5) or rope_scaling + rope_theta (older configs) -> RopeSpec. */
function readRope(c: Json, defaultTheta: number, maxPositions: number): RopeSpec {
  const p = (c.rope_parameters ?? c.rope_scaling ?? {}) as Json;
  const theta = positiveNumber({ theta: p.rope_theta ?? c.rope_theta }, 'theta', defaultTheta);
  const type = p.rope_type ?? p.type ?? 'default';
  if (p.partial_rotary_factor !== undefined && p.partial_rotary_factor !== 1)
    reject('partial_rotary_factor is not supported');
  if (type === 'default') return { type, theta };
  if (type === 'linear') return { type, theta, factor: positiveNumber(p, 'factor') };
  if (type === 'llama3') {
    return {
      type,
      theta,
      factor: positiveNumber(p, 'factor'),
      lowFreqFactor: positiveNumber(p, 'low_freq_factor'),
      highFreqFactor: positiveNumber(p, 'high_freq_factor'),
      // transformers' standardize_rope_params falls back to max_position_embeddings
      originalMaxPositions: positiveInt(p, 'original_max_position_embeddings', maxPositions),
    };
  }
  return reject(`rope type ${JSON.stringify(type)} is not supported (default, linear, llama3)`);
}

/** Reads config.json (parsed) into what the reference runs. */
export function referenceConfig(json: unknown): ReferenceConfig {
  if (typeof json !== 'object' || json === null) reject('expected a JSON object');
  const c = json as Json;
  const architecture = Array.isArray(c.architectures) ? c.architectures[0] : undefined;
  const q = c.quantization_config as Json | undefined | null;
  let family: ReferenceConfig['family'];
  if (c.model_type === 'bitnet') family = 'bitnet';
  else if (c.model_type === 'llama' && q?.quant_method === 'bitnet') family = 'llama-bitnet';
  else if (c.model_type === 'llama' && architecture === 'BitnetForCausalLM' && !q) family = '1bitllm';
  else reject(`model_type ${JSON.stringify(c.model_type)} with architectures ${JSON.stringify(c.architectures)}`);
  if (c.attention_bias === true || c.mlp_bias === true) reject('biases are not supported');
  if (family === '1bitllm' && ((c.weight_bits ?? 1) !== 1 || (c.input_bits ?? 8) !== 8))
    reject('1bitLLM checkpoints must have weight_bits 1 and input_bits 8');

  // defaults: transformers' BitNetConfig and LlamaConfig
  const hiddenSize = positiveInt(c, 'hidden_size');
  const numHeads = positiveInt(c, 'num_attention_heads');
  const maxPositions = positiveInt(c, 'max_position_embeddings', 2048);
  const activation = c.hidden_act ?? (family === 'bitnet' ? 'relu2' : 'silu');
  if (activation !== 'relu2' && activation !== 'silu') reject(`hidden_act ${JSON.stringify(activation)}`);

  let weights: RefWeightStorage = { kind: 'master' };
  let linearNormEps: number | null = null;
  if (q) {
    const linearClass = q.linear_class ?? 'bitlinear';
    const mode = q.quantization_mode ?? 'offline';
    if (linearClass !== 'bitlinear' && linearClass !== 'autobitlinear') reject(`linear_class ${linearClass}`);
    if (mode !== 'offline' && mode !== 'online') reject(`quantization_mode ${mode}`);
    // transformers builds packed BitLinear modules for linear_class bitlinear whatever the mode says
    if (linearClass === 'bitlinear' && mode === 'online')
      reject('linear_class bitlinear with quantization_mode online');
    weights =
      mode === 'online'
        ? { kind: 'master' }
        : { kind: 'packed', scale: linearClass === 'bitlinear' ? 'divide' : 'multiply' };
    if (q.use_rms_norm === true) linearNormEps = positiveNumber(q, 'rms_norm_eps', 1e-6);
    const keep = q.modules_to_not_convert ?? [];
    if (!Array.isArray(keep) || keep.some((m) => m !== 'lm_head')) reject('only lm_head may be left unconverted');
  }

  const subNormNames =
    family === 'bitnet'
      ? { attn: 'self_attn.attn_sub_norm', ffn: 'mlp.ffn_sub_norm' }
      : family === '1bitllm'
        ? { attn: 'self_attn.inner_attn_ln', ffn: 'mlp.ffn_layernorm' }
        : null;
  const arch: RefArchitecture = {
    vocabSize: positiveInt(c, 'vocab_size'),
    hiddenSize,
    intermediateSize: positiveInt(c, 'intermediate_size'),
    numLayers: positiveInt(c, 'num_hidden_layers'),
    numHeads,
    // absent: the config class's default (BitNetConfig's is 5); null: one KV head per query head
    numKvHeads:
      c.num_key_value_heads === null
        ? numHeads
        : positiveInt(c, 'num_key_value_heads', family === 'bitnet' ? 5 : numHeads),
    headDim: positiveInt(c, 'head_dim', hiddenSize / numHeads),
    rmsNormEps: positiveNumber(c, 'rms_norm_eps', family === 'bitnet' ? 1e-5 : 1e-6),
    activation,
    subNorms: subNormNames !== null,
    linearNormEps,
    rope: readRope(c, family === 'bitnet' ? 500000 : 10000, maxPositions),
    tieWordEmbeddings: c.tie_word_embeddings === true,
  };
  if (arch.numHeads % arch.numKvHeads !== 0) reject('num_attention_heads must be a multiple of num_key_value_heads');
  if (arch.headDim % 2 !== 0) reject('head_dim must be even');
  return { family, arch, weights, subNormNames };
}
