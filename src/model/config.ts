import { ModelFormatError } from '../errors.ts';
import { jsonPreview } from '../untrustedJson.ts';
import { MAX_GROUP, MAX_HEAD_DIM } from '../kernels/attentionLimits.ts';

/** How a checkpoint stores its BitLinear weights (transformers' quantization_config). */
export interface BitNetQuantization {
  /** `offline`: packed 2-bit weights + weight_scale; `online`: full-precision master weights quantized at load. */
  mode: 'offline' | 'online';
  /** `bitlinear`: y = acc / (s_x * weight_scale); `autobitlinear`: y = acc / s_x * weight_scale. */
  linearClass: 'bitlinear' | 'autobitlinear';
}

/** A BitNet b1.58 model's shape and constants, normalized from any transformers version's config.json. */
export interface BitNetConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  /** Every id that ends generation (config may give one id or a list). */
  eosTokenIds: number[];
  quantization: BitNetQuantization;
}

type Json = Record<string, unknown>;

/**
 * Upper bounds on a config's counts, checked before anything is planned or allocated: the largest
 * published models times a margin (Llama 3.1 405B: 126 layers, hidden 16384, intermediate 53248,
 * 128 heads; Gemma 3: a 262,144-token vocabulary; Llama 4 Scout: 10M positions). Positions stop at
 * 2^24, the last integer float32 (RoPE's angles) holds exactly.
 */
export const CONFIG_LIMITS = {
  num_hidden_layers: 1024,
  hidden_size: 65536,
  intermediate_size: 262144,
  num_attention_heads: 1024,
  vocab_size: 2 ** 20,
  max_position_embeddings: 2 ** 24,
  /** Entries of bos_token_id / eos_token_id lists (Llama 3.1 has 3 end-of-text ids). */
  tokenIdList: 256,
} as const;

/** Tensors a checkpoint or manifest may list: a model within CONFIG_LIMITS has at most 18 per layer, plus 3. */
export const MAX_TENSORS = 100_000;

/** The smallest normal float32: anything smaller is 0 or subnormal once the GPU holds it. */
const F32_MIN_NORMAL = 2 ** -126;

/**
 * Reads transformers' BitNetConfig JSON; absent fields take transformers' BitNetConfig defaults. Accepts `rope_theta` at the top level or inside
 * `rope_parameters` / `rope_scaling`, an optional `head_dim`, and bos/eos ids given as numbers or lists.
 * Anything this runtime cannot run faithfully is refused with the field named.
 */
export function parseBitNetConfig(json: unknown, file = 'config.json'): BitNetConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelFormatError(file, 'expected a JSON object');
  const c = json as Json;
  const fail = (msg: string): never => {
    throw new ModelFormatError(file, msg);
  };
  if (c.model_type !== 'bitnet') {
    fail(`model_type is ${jsonPreview(c.model_type)}; only "bitnet" (transformers' BitNetForCausalLM) is supported`);
  }
  const int = (key: string, fallback?: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      fail(`${key} must be a positive integer, got ${jsonPreview(c[key])}`);
    if ((v as number) > max)
      fail(`${key} is ${v}, more than the ${max} this library accepts (the largest real models have far fewer)`);
    return v as number;
  };
  const bounded = (key: keyof typeof CONFIG_LIMITS & string, fallback: number) =>
    int(key, fallback, CONFIG_LIMITS[key]);
  const hiddenSize = bounded('hidden_size', 2560);
  const numHeads = bounded('num_attention_heads', 20);
  // transformers: absent means its default (5), an explicit null means one KV head per query head.
  const numKvHeads = c.num_key_value_heads === null ? numHeads : int('num_key_value_heads', 5);
  const headDim = c.head_dim == null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim))
    fail(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}; give head_dim`);
  if (headDim % 4 !== 0 || headDim > MAX_HEAD_DIM)
    fail(`head_dim ${headDim} must be a multiple of 4 and at most ${MAX_HEAD_DIM}`);
  if (numHeads % numKvHeads !== 0)
    fail(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  if (numHeads / numKvHeads > MAX_GROUP)
    fail(`${numHeads / numKvHeads} query heads per KV head; the attention kernel supports at most ${MAX_GROUP}`);
  if (hiddenSize % 2 !== 0) fail(`hidden_size ${hiddenSize} must be even`);
  const act = c.hidden_act ?? 'relu2';
  if (act !== 'relu2') fail(`hidden_act ${jsonPreview(act)} is not supported (BitNet uses "relu2")`);
  if (c.attention_bias === true || c.mlp_bias === true)
    fail('attention_bias / mlp_bias are not supported (BitNet b1.58 has no biases)');

  const rope = (c.rope_parameters ?? c.rope_scaling ?? {}) as Json;
  const ropeType = rope.rope_type ?? rope.type ?? 'default';
  if (ropeType !== 'default') fail(`rope type ${jsonPreview(ropeType)} is not supported (only "default")`);
  const ropeTheta = (c.rope_theta ?? rope.rope_theta ?? 500000) as unknown;
  // both are used as float32: they must stay finite and non-zero there
  if (typeof ropeTheta !== 'number' || !(ropeTheta > 0) || !Number.isFinite(Math.fround(ropeTheta))) {
    fail(`rope_theta must be a positive number a float32 holds (below 3.4e38), got ${jsonPreview(ropeTheta)}`);
  }
  const eps = c.rms_norm_eps ?? 1e-5;
  if (typeof eps !== 'number' || !(Math.fround(eps) >= F32_MIN_NORMAL) || eps > 1) {
    fail(`rms_norm_eps must be a small positive number a float32 holds (1.2e-38 to 1), got ${jsonPreview(eps)}`);
  }

  const ids = (key: string, fallback: number): number[] => {
    const v = key in c ? c[key] : fallback;
    if (v == null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (list.length > CONFIG_LIMITS.tokenIdList)
      fail(`${key} lists ${list.length} ids (at most ${CONFIG_LIMITS.tokenIdList})`);
    for (const id of list)
      if (!Number.isSafeInteger(id) || (id as number) < 0)
        fail(`${key} must be a token id or a list of them, got ${jsonPreview(v)}`);
    return list as number[];
  };
  const bos = ids('bos_token_id', 128000);

  const q = c.quantization_config as Json | undefined;
  if (!q || typeof q !== 'object') fail('quantization_config is missing: this is not a ternary BitNet checkpoint');
  if (q!.quant_method !== 'bitnet')
    fail(`quantization_config.quant_method is ${jsonPreview(q!.quant_method)}, expected "bitnet"`);
  const mode = q!.quantization_mode ?? 'offline';
  if (mode !== 'offline' && mode !== 'online')
    fail(`quantization_config.quantization_mode ${jsonPreview(mode)} is not "offline" or "online"`);
  const linearClass = q!.linear_class ?? 'bitlinear';
  if (linearClass !== 'bitlinear' && linearClass !== 'autobitlinear') {
    fail(`quantization_config.linear_class ${jsonPreview(linearClass)} is not "bitlinear" or "autobitlinear"`);
  }
  const notConverted = (q!.modules_to_not_convert ?? []) as unknown;
  if (!Array.isArray(notConverted) || notConverted.some((m) => m !== 'lm_head')) {
    fail(
      `quantization_config.modules_to_not_convert ${jsonPreview(notConverted)}: only lm_head may stay in full precision`,
    );
  }

  return {
    vocabSize: bounded('vocab_size', 128256),
    hiddenSize,
    intermediateSize: bounded('intermediate_size', 6912),
    numLayers: bounded('num_hidden_layers', 30),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: eps as number,
    ropeTheta: ropeTheta as number,
    maxPositionEmbeddings: bounded('max_position_embeddings', 2048),
    tieWordEmbeddings: c.tie_word_embeddings === true,
    bosTokenId: bos.length > 0 ? bos[0] : null,
    eosTokenIds: ids('eos_token_id', 128001),
    quantization: {
      mode: mode as BitNetQuantization['mode'],
      linearClass: linearClass as BitNetQuantization['linearClass'],
    },
  };
}
