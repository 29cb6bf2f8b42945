import { ModelFormatError } from '../errors.ts';
import { jsonPreview } from '../untrustedJson.ts';
import { MAX_GROUP, MAX_HEAD_DIM } from '../kernels/attentionLimits.ts';

/**
 * The checkpoint families this runtime reads (docs/modelFamilies.md), by what their config.json says:
 * - `bitnet`: `model_type: "bitnet"`, transformers' BitNetForCausalLM (microsoft/bitnet-b1.58-2B-4T);
 * - `llama-bitnet`: `model_type: "llama"` with `quantization_config.quant_method: "bitnet"`,
 *   transformers' LlamaForCausalLM with BitLinear layers (Falcon3-*-1.58bit, Falcon-E, Llama3-8B-1.58);
 * - `1bitllm`: `model_type: "llama"`, `architectures: ["BitnetForCausalLM"]` and no
 *   quantization_config: 1bitLLM's own modeling code (bitnet_b1_58-large, -3B), fp16 master weights.
 */
export type ModelFamily = 'bitnet' | 'llama-bitnet' | '1bitllm';

/** How a checkpoint stores its BitLinear weights (transformers' quantization_config). */
export interface BitNetQuantization {
  /** `offline`: packed 2-bit weights + weight_scale; `online`: full-precision master weights quantized at load. */
  mode: 'offline' | 'online';
  /** `bitlinear`: y = acc / (s_x * weight_scale); `autobitlinear`: y = acc / s_x * weight_scale. */
  linearClass: 'bitlinear' | 'autobitlinear';
  /**
   * `use_rms_norm`: every BitLinear first normalizes its input with an RMSNorm of its own (weight
   * `<linear>.rms_norm.weight`) and this eps (quantization_config's rms_norm_eps, not the model's); null: none.
   */
  linearNormEps: number | null;
}

/**
 * How RoPE's inverse frequencies follow from rope_theta (transformers' rope types; the others,
 * which change with the sequence length or scale the attention, are refused).
 */
export type RopeScaling =
  | { type: 'default' }
  /** Every inverse frequency divided by `factor`. */
  | { type: 'linear'; factor: number }
  /** Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth ramp between. */
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      /** The context the model was trained on (original_max_position_embeddings). */
      originalMaxPositions: number;
    };

/** A ternary model's shape and constants, normalized from any transformers version's config.json. */
export interface BitNetConfig {
  family: ModelFamily;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  /** The MLP's activation on gate_proj: relu(g)^2 or g * sigmoid(g). */
  hiddenAct: 'relu2' | 'silu';
  ropeTheta: number;
  ropeScaling: RopeScaling;
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

/** Tensors a checkpoint or manifest may list: a model within CONFIG_LIMITS has at most 16 per layer, plus 3. */
export const MAX_TENSORS = 100_000;

/** The smallest normal float32: anything smaller is 0 or subnormal once the GPU holds it. */
const F32_MIN_NORMAL = 2 ** -126;

/** transformers' config-class defaults (BitNetConfig for `bitnet`, LlamaConfig for the others) of absent fields. */
const DEFAULTS = {
  bitnet: {
    vocab_size: 128256,
    hidden_size: 2560,
    intermediate_size: 6912,
    num_hidden_layers: 30,
    num_attention_heads: 20,
    /** null: one KV head per query head. */
    num_key_value_heads: 5 as number | null,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    hidden_act: 'relu2',
    bos_token_id: 128000,
    eos_token_id: 128001,
  },
  llama: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: null as number | null,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
  },
} as const;

/** What each family's config.json must say, for the message that refuses anything else. */
const SUPPORTED_FAMILIES =
  'supported: model_type "bitnet"; model_type "llama" with quantization_config.quant_method "bitnet" ' +
  '(Falcon3-*-1.58bit, Falcon-E, Llama3-8B-1.58); model_type "llama" with architectures ["BitnetForCausalLM"] ' +
  'and no quantization_config (1bitLLM)';

/** The rope types computed here; the others change the frequencies with the sequence length or scale the attention. */
const SUPPORTED_ROPE = 'supported rope types: "default", "linear", "llama3"';

/**
 * Reads transformers' config.json of any family in ModelFamily; absent fields take the defaults of
 * that family's transformers config class. Accepts `rope_theta` at the top level or inside
 * `rope_parameters` / `rope_scaling`, an optional `head_dim`, and bos/eos ids given as numbers or
 * lists. Anything this runtime cannot run faithfully is refused with the field named.
 */
export function parseBitNetConfig(json: unknown, file = 'config.json'): BitNetConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelFormatError(file, 'expected a JSON object');
  const c = json as Json;
  const fail = (msg: string): never => {
    throw new ModelFormatError(file, msg);
  };
  const family = familyOf(c, fail);
  const defaults = family === 'bitnet' ? DEFAULTS.bitnet : DEFAULTS.llama;
  const int = (key: string, fallback?: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      fail(`${key} must be a positive integer, got ${jsonPreview(c[key])}`);
    if ((v as number) > max)
      fail(`${key} is ${v}, more than the ${max} this library accepts (the largest real models have far fewer)`);
    return v as number;
  };
  const bounded = (key: Exclude<keyof typeof CONFIG_LIMITS, 'tokenIdList'>) =>
    int(key, defaults[key], CONFIG_LIMITS[key]);
  const hiddenSize = bounded('hidden_size');
  const numHeads = bounded('num_attention_heads');
  // absent means the config class's default; an explicit null, one KV head per query head
  const kvDefault = defaults.num_key_value_heads ?? numHeads;
  const numKvHeads = c.num_key_value_heads === null ? numHeads : int('num_key_value_heads', kvDefault);
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
  const act = c.hidden_act ?? defaults.hidden_act;
  if (act !== 'relu2' && act !== 'silu')
    fail(`hidden_act ${jsonPreview(act)} is not supported (only "relu2", as BitNet uses, and "silu", as Llama does)`);
  if (c.attention_bias === true || c.mlp_bias === true)
    fail('attention_bias / mlp_bias are not supported (the ternary families have no biases)');
  if (family === '1bitllm') {
    for (const [key, bits] of [
      ['weight_bits', 1],
      ['input_bits', 8],
    ] as const) {
      if ((c[key] ?? bits) !== bits)
        fail(`${key} is ${jsonPreview(c[key])}; 1bitLLM checkpoints run with weight_bits 1 and input_bits 8 only`);
    }
  }
  const maxPositionEmbeddings = bounded('max_position_embeddings');
  const { theta, scaling } = parseRope(c, defaults.rope_theta, maxPositionEmbeddings, fail);
  const eps = c.rms_norm_eps ?? defaults.rms_norm_eps;
  if (!isSmallPositive(eps))
    fail(`rms_norm_eps must be a small positive number a float32 holds (1.2e-38 to 1), got ${jsonPreview(eps)}`);

  const ids = (key: 'bos_token_id' | 'eos_token_id'): number[] => {
    const v = key in c ? c[key] : defaults[key];
    if (v == null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (list.length > CONFIG_LIMITS.tokenIdList)
      fail(`${key} lists ${list.length} ids (at most ${CONFIG_LIMITS.tokenIdList})`);
    for (const id of list)
      if (!Number.isSafeInteger(id) || (id as number) < 0)
        fail(`${key} must be a token id or a list of them, got ${jsonPreview(v)}`);
    return list as number[];
  };
  const bos = ids('bos_token_id');

  return {
    family,
    vocabSize: bounded('vocab_size'),
    hiddenSize,
    intermediateSize: bounded('intermediate_size'),
    numLayers: bounded('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: eps as number,
    hiddenAct: act as BitNetConfig['hiddenAct'],
    ropeTheta: theta,
    ropeScaling: scaling,
    maxPositionEmbeddings,
    tieWordEmbeddings: c.tie_word_embeddings === true,
    bosTokenId: bos.length > 0 ? bos[0] : null,
    eosTokenIds: ids('eos_token_id'),
    quantization: parseQuantization(c, family, fail),
  };
}

function isSmallPositive(v: unknown): v is number {
  return typeof v === 'number' && Math.fround(v) >= F32_MIN_NORMAL && v <= 1;
}

/** The family a config.json belongs to (ModelFamily), or a ModelFormatError naming what it says instead. */
function familyOf(c: Json, fail: (msg: string) => never): ModelFamily {
  if (c.model_type === 'bitnet') return 'bitnet';
  if (c.model_type !== 'llama') return fail(`model_type is ${jsonPreview(c.model_type)}; ${SUPPORTED_FAMILIES}`);
  if (c.quantization_config != null) return 'llama-bitnet';
  const architecture = Array.isArray(c.architectures) ? c.architectures[0] : undefined;
  if (architecture === 'BitnetForCausalLM') return '1bitllm';
  return fail(
    `model_type "llama" with architectures ${jsonPreview(c.architectures)} and no quantization_config is a ` +
      `full-precision Llama, not a ternary model; ${SUPPORTED_FAMILIES}`,
  );
}

/** quantization_config (1bitLLM has none: fp16 master weights, quantized by absmean like transformers' online mode). */
function parseQuantization(c: Json, family: ModelFamily, fail: (msg: string) => never): BitNetQuantization {
  if (family === '1bitllm') return { mode: 'online', linearClass: 'autobitlinear', linearNormEps: null };
  const q = c.quantization_config;
  if (q == null) return fail('quantization_config is missing: this is not a ternary BitNet checkpoint');
  if (typeof q !== 'object' || Array.isArray(q))
    return fail(`quantization_config must be an object with quant_method "bitnet", got ${jsonPreview(q)}`);
  const f = q as Json;
  if (f.quant_method !== 'bitnet')
    fail(`quantization_config.quant_method is ${jsonPreview(f.quant_method)}, expected "bitnet"`);
  const mode = f.quantization_mode ?? 'offline';
  if (mode !== 'offline' && mode !== 'online')
    fail(`quantization_config.quantization_mode ${jsonPreview(mode)} is not "offline" or "online"`);
  const linearClass = f.linear_class ?? 'bitlinear';
  if (linearClass !== 'bitlinear' && linearClass !== 'autobitlinear')
    fail(`quantization_config.linear_class ${jsonPreview(linearClass)} is not "bitlinear" or "autobitlinear"`);
  // transformers builds packed BitLinear modules for linear_class bitlinear whatever the mode says,
  // so such a llama checkpoint of master weights does not load there either (bitnet keeps reading
  // them as masters, as it always has)
  if (family === 'llama-bitnet' && linearClass === 'bitlinear' && mode === 'online') {
    fail(
      'quantization_config: linear_class "bitlinear" with quantization_mode "online" is not supported ' +
        '(packed weights need "offline"; master weights need linear_class "autobitlinear")',
    );
  }
  const useRmsNorm = f.use_rms_norm ?? false;
  if (typeof useRmsNorm !== 'boolean')
    fail(`quantization_config.use_rms_norm must be true or false, got ${jsonPreview(useRmsNorm)}`);
  let linearNormEps: number | null = null;
  if (useRmsNorm) {
    // BitNet's sub-norms would then normalize twice in a row, a combination no checkpoint has
    if (family !== 'llama-bitnet')
      fail('quantization_config.use_rms_norm is supported for model_type "llama" only, not with BitNet\'s sub-norms');
    const eps = f.rms_norm_eps ?? 1e-6;
    if (!isSmallPositive(eps)) {
      fail(
        `quantization_config.rms_norm_eps must be a small positive number a float32 holds (1.2e-38 to 1), got ${jsonPreview(eps)}`,
      );
    }
    linearNormEps = eps;
  }
  const notConverted = f.modules_to_not_convert ?? [];
  if (!Array.isArray(notConverted) || notConverted.some((m) => m !== 'lm_head')) {
    fail(
      `quantization_config.modules_to_not_convert ${jsonPreview(notConverted)}: only lm_head may stay in full precision`,
    );
  }
  return {
    mode: mode as BitNetQuantization['mode'],
    linearClass: linearClass as BitNetQuantization['linearClass'],
    linearNormEps,
  };
}

/**
 * rope_theta and the rope type, from transformers 5's `rope_parameters` or the older
 * `rope_scaling` with a top-level `rope_theta`.
 */
function parseRope(
  c: Json,
  defaultTheta: number,
  maxPositions: number,
  fail: (msg: string) => never,
): { theta: number; scaling: RopeScaling } {
  const key = c.rope_parameters != null ? 'rope_parameters' : 'rope_scaling';
  const raw = c[key] ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail(`${key} must be an object, got ${jsonPreview(raw)}`);
  const p = raw as Json;
  const theta = c.rope_theta ?? p.rope_theta ?? defaultTheta;
  // used as float32: it must stay finite and non-zero there
  if (typeof theta !== 'number' || !(theta > 0) || !Number.isFinite(Math.fround(theta)))
    fail(`rope_theta must be a positive number a float32 holds (below 3.4e38), got ${jsonPreview(theta)}`);
  for (const [where, value] of [
    ['partial_rotary_factor', c.partial_rotary_factor],
    [`${key}.partial_rotary_factor`, p.partial_rotary_factor],
  ]) {
    if (value != null && value !== 1)
      fail(`${where} ${jsonPreview(value)} is not supported: RoPE turns every dimension of a head here (only 1)`);
  }
  const type = p.rope_type ?? p.type ?? 'default';
  const positive = (field: string): number => {
    const v = p[field];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(Math.fround(v)))
      fail(`${key}.${field} must be a positive number for rope type ${jsonPreview(type)}, got ${jsonPreview(v)}`);
    return v as number;
  };
  let scaling: RopeScaling;
  if (type === 'default') scaling = { type };
  else if (type === 'linear') scaling = { type, factor: positive('factor') };
  else if (type === 'llama3') {
    const original = p.original_max_position_embeddings ?? maxPositions;
    if (!Number.isSafeInteger(original) || (original as number) <= 0)
      fail(`${key}.original_max_position_embeddings must be a positive integer, got ${jsonPreview(original)}`);
    scaling = {
      type,
      factor: positive('factor'),
      lowFreqFactor: positive('low_freq_factor'),
      highFreqFactor: positive('high_freq_factor'),
      originalMaxPositions: original as number,
    };
    if (scaling.highFreqFactor <= scaling.lowFreqFactor)
      fail(`${key}: high_freq_factor must be larger than low_freq_factor for rope type "llama3"`);
  } else {
    return fail(`rope type ${jsonPreview(type)} (${key}) is not supported; ${SUPPORTED_ROPE}`);
  }
  return { theta: theta as number, scaling };
}
