// The model shapes the benchmarks load: each one a config.json as its family ships it on Hugging
// Face, turned into a model configuration by the same parser (and so the same checks) as a real
// checkpoint's. Values and sources: docs/modelFamilies.md, "Real shapes".
import { parseBitNetConfig, type BitNetConfig } from '../../src/model/config.ts';

/** A benchmark model: its config.json, built through parseBitNetConfig like any checkpoint's. */
export interface ModelShape {
  /** The name result rows report. */
  name: string;
  /** Short names `--models` matches exactly (case-insensitive), besides substrings of `name`. */
  aliases: readonly string[];
  /** The Hugging Face repository whose config.json this copies; null for a shape no checkpoint has. */
  repository: string | null;
  /** Where the values come from when not all from that repository's config.json, or what a shape without one stands for. */
  note?: string;
  /** The fields of config.json that shape the model, spelled as Hugging Face writes them. */
  config: Readonly<Record<string, unknown>>;
}

/** transformers' BitNet quantization as the packed checkpoints carry it (microsoft/bitnet-b1.58-2B-4T). */
const BITNET_PACKED = { quant_method: 'bitnet', linear_class: 'bitlinear', quantization_mode: 'offline' };

/** transformers' `bitnet` architecture (BitNetForCausalLM: sub-norms, relu²). */
function bitnetConfig(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['BitNetForCausalLM'],
    model_type: 'bitnet',
    hidden_act: 'relu2',
    attention_bias: false,
    quantization_config: BITNET_PACKED,
    ...fields,
  };
}

/** Falcon3-*-1.58bit: transformers' `llama` with BitNet quantization, the lm_head left in bf16. */
function falcon3Config(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    head_dim: 256,
    hidden_size: 3072,
    num_attention_heads: 12,
    num_key_value_heads: 4,
    vocab_size: 131072,
    rope_theta: 1000042,
    rope_scaling: null,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    is_bitnet_config: true,
    pretraining_tp: 1,
    torch_dtype: 'bfloat16',
    quantization_config: { modules_to_not_convert: ['lm_head'], quant_method: 'bitnet' },
    ...fields,
  };
}

/** 1bitLLM's BitnetForCausalLM: `llama` with full-precision master weights, no quantization_config. */
function oneBitLlmConfig(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['BitnetForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    attention_bias: false,
    weight_bits: 1,
    input_bits: 8,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 32000,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000,
    tie_word_embeddings: true,
    vocab_size: 32002,
    pretraining_tp: 1,
    torch_dtype: 'float16',
    ...fields,
  };
}

/** The shapes the benchmarks report, smallest first (Falcon-E-3B is missing: its config.json was not found). */
export const MODEL_SHAPES: readonly ModelShape[] = [
  {
    name: 'tiny-a',
    aliases: ['tiny'],
    repository: null,
    note: 'the shape of test/fixtures/tiny-a (this project’s small random BitNet), with a 4,096-token context',
    config: bitnetConfig({
      hidden_size: 256,
      intermediate_size: 688,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 1024,
      tie_word_embeddings: true,
      rope_theta: 500000,
      rms_norm_eps: 1e-5,
      max_position_embeddings: 4096,
      bos_token_id: 1,
      eos_token_id: 2,
    }),
  },
  {
    name: 'bitnet_b1_58-large (0.7B)',
    aliases: ['large'],
    repository: '1bitLLM/bitnet_b1_58-large',
    config: oneBitLlmConfig({
      hidden_size: 1536,
      intermediate_size: 4096,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      num_key_value_heads: 16,
    }),
  },
  {
    name: 'Falcon3-1B-1.58bit',
    aliases: ['falcon3-1b'],
    repository: 'tiiuae/Falcon3-1B-Instruct-1.58bit',
    config: falcon3Config({
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 18,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      max_position_embeddings: 8192,
      eos_token_id: 11,
    }),
  },
  {
    name: 'Falcon-E-1B',
    aliases: ['falcon-e-1b'],
    repository: 'tiiuae/Falcon-E-1B-Instruct',
    // LlamaConfig's defaults apply to the fields left out, as they would to a config.json without them
    note: 'no config.json seen: the shape from a third-party conversion and bitnet.cpp’s load log (docs/modelFamilies.md, note c); rms_norm_eps and the bos/eos ids unknown',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_act: 'silu',
      attention_bias: false,
      mlp_bias: false,
      hidden_size: 2048,
      intermediate_size: 9216,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      num_key_value_heads: 2,
      head_dim: 128,
      vocab_size: 32768,
      tie_word_embeddings: false,
      rope_theta: 1000000,
      rope_scaling: null,
      max_position_embeddings: 32768,
      is_bitnet_config: true,
      torch_dtype: 'bfloat16',
      quantization_config: { modules_to_not_convert: ['lm_head'], quant_method: 'bitnet' },
    },
  },
  {
    name: 'bitnet-b1.58-2B-4T',
    aliases: ['2B-4T', '2B'],
    repository: 'microsoft/bitnet-b1.58-2B-4T',
    config: bitnetConfig({
      hidden_size: 2560,
      intermediate_size: 6912,
      num_hidden_layers: 30,
      num_attention_heads: 20,
      num_key_value_heads: 5,
      vocab_size: 128256,
      tie_word_embeddings: true,
      rope_theta: 500000,
      rms_norm_eps: 1e-5,
      max_position_embeddings: 4096,
      bos_token_id: 128000,
      eos_token_id: 128001,
    }),
  },
  {
    name: 'Falcon3-3B-1.58bit',
    aliases: ['falcon3-3b'],
    repository: 'tiiuae/Falcon3-3B-Instruct-1.58bit',
    note: 'the config.json of its -Base-1.58bit twin',
    config: falcon3Config({
      intermediate_size: 9216,
      num_hidden_layers: 22,
      max_position_embeddings: 4096,
      bos_token_id: 11,
      eos_token_id: 11,
    }),
  },
  {
    name: 'bitnet_b1_58-3B',
    aliases: ['3B'],
    repository: '1bitLLM/bitnet_b1_58-3B',
    note: '26 layers: from bitnet.cpp and the paper, not seen in a config.json',
    config: oneBitLlmConfig({
      hidden_size: 3200,
      intermediate_size: 8640,
      num_hidden_layers: 26,
      num_attention_heads: 32,
      num_key_value_heads: 32,
    }),
  },
  {
    name: 'Falcon3-7B-1.58bit',
    aliases: ['falcon3-7b'],
    repository: 'tiiuae/Falcon3-7B-Instruct-1.58bit',
    note: 'the config.json of its -Base-1.58bit twin',
    config: falcon3Config({
      intermediate_size: 23040,
      num_hidden_layers: 28,
      max_position_embeddings: 8192,
      bos_token_id: 11,
      eos_token_id: 11,
    }),
  },
  {
    name: 'Llama3-8B-1.58',
    aliases: ['8B'],
    repository: 'HF1BitLLM/Llama3-8B-1.58-100B-tokens',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_act: 'silu',
      attention_bias: false,
      mlp_bias: false,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      vocab_size: 128256,
      tie_word_embeddings: false,
      rope_theta: 500000,
      rope_scaling: null,
      rms_norm_eps: 1e-5,
      max_position_embeddings: 8192,
      bos_token_id: 128000,
      eos_token_id: 128009,
      pretraining_tp: 1,
      torch_dtype: 'bfloat16',
      quantization_config: { modules_to_not_convert: null, quant_method: 'bitnet' },
    },
  },
  {
    name: 'Falcon3-10B-1.58bit',
    aliases: ['falcon3-10b'],
    repository: 'tiiuae/Falcon3-10B-Instruct-1.58bit',
    note: 'the config.json of its -Base-1.58bit twin',
    config: falcon3Config({
      intermediate_size: 23040,
      num_hidden_layers: 40,
      max_position_embeddings: 32768,
      bos_token_id: 1,
      eos_token_id: 11,
    }),
  },
  {
    // No such checkpoint exists: 2B-4T's block scaled to ~100B parameters (99.9B in linear layers,
    // ~25 GB at 2 bits), with 8 query heads per KV head as Llama 3 70B has (64 over 8).
    name: 'ternary-100B',
    aliases: ['100B', '~100B'],
    repository: null,
    note: 'no checkpoint: bitnet-b1.58-2B-4T’s architecture at hidden 10240, 92 layers, 80 query heads over 10 KV heads',
    config: bitnetConfig({
      hidden_size: 10240,
      intermediate_size: 27648,
      num_hidden_layers: 92,
      num_attention_heads: 80,
      num_key_value_heads: 10,
      vocab_size: 128256,
      tie_word_embeddings: false,
      rope_theta: 500000,
      rms_norm_eps: 1e-5,
      max_position_embeddings: 4096,
      bos_token_id: 128000,
      eos_token_id: 128001,
    }),
  },
];

/**
 * The shape's configuration, read by parseBitNetConfig exactly as a checkpoint's config.json is:
 * a shape the runtime cannot run faithfully throws its ModelFormatError, never runs.
 */
export function shapeConfig(shape: ModelShape): BitNetConfig {
  return parseBitNetConfig(shape.config, `config.json of the ${shape.name} benchmark shape`);
}

/** A shape the parser accepted, with its configuration, or refused, with its reason. */
export type CheckedShape = { shape: ModelShape; config: BitNetConfig } | { shape: ModelShape; refused: string };

/** Parses every given shape, keeping the parser's message for those it refuses. */
export function checkShapes(shapes: readonly ModelShape[]): CheckedShape[] {
  return shapes.map((shape) => {
    try {
      return { shape, config: shapeConfig(shape) };
    } catch (err) {
      return { shape, refused: (err as Error).message };
    }
  });
}

/**
 * The shapes `keys` name, in MODEL_SHAPES order: a key equal (case-insensitive) to a shape's name
 * or alias picks that shape alone; any other key picks every shape whose name contains it
 * ("Falcon3" picks the four Falcon3 shapes). Throws, listing the names, when a key picks none.
 */
export function selectShapes(keys: readonly string[]): ModelShape[] {
  const picked = new Set<ModelShape>();
  for (const key of keys) {
    const k = key.trim().toLowerCase();
    const exact = MODEL_SHAPES.filter((s) => [s.name, ...s.aliases].some((n) => n.toLowerCase() === k));
    const found = exact.length > 0 ? exact : MODEL_SHAPES.filter((s) => k !== '' && s.name.toLowerCase().includes(k));
    if (found.length === 0) {
      throw new Error(`no benchmark shape matches "${key}"; known: ${MODEL_SHAPES.map((s) => s.name).join(', ')}`);
    }
    for (const s of found) picked.add(s);
  }
  return MODEL_SHAPES.filter((s) => picked.has(s));
}

/**
 * The bytes of the shape's checkpoint (its safetensors), from its config.json alone, as
 * docs/modelFamilies.md computes its download sizes: linear weights packed at 2 bits with a bf16
 * scale each (1bitLLM: fp16 masters, 2 bytes a weight), embeddings, lm_head and norms in bf16.
 */
export function checkpointBytes(shape: ModelShape): number {
  const k = shape.config as Record<string, number | boolean | undefined>;
  const [hidden, intermediate, layers, heads] = [
    k.hidden_size,
    k.intermediate_size,
    k.num_hidden_layers,
    k.num_attention_heads,
  ] as number[];
  const kvHeads = (k.num_key_value_heads as number | undefined) ?? heads;
  const headDim = (k.head_dim as number | undefined) ?? hidden / heads;
  const linear = layers * (2 * hidden * heads * headDim + 2 * hidden * kvHeads * headDim + 3 * hidden * intermediate);
  const masters = shape.config.quantization_config === undefined;
  const subNorms = masters || shape.config.model_type === 'bitnet';
  const norms = layers * (2 * hidden + (subNorms ? hidden + intermediate : 0)) + hidden;
  const tables = (k.tie_word_embeddings === true ? 1 : 2) * (k.vocab_size as number) * hidden;
  const linearBytes = masters ? 2 * linear : linear / 4 + 7 * layers * 2;
  return linearBytes + 2 * (tables + norms);
}

/** One line per shape for `--help`: its names, its source, and what the parser made of its config. */
export function shapeListLines(): string[] {
  return checkShapes(MODEL_SHAPES).map((c) => {
    const { repository, note } = c.shape;
    const names = [c.shape.name, ...c.shape.aliases].join(', ');
    const download = repository ? `, checkpoint ~${(checkpointBytes(c.shape) / 1e9).toFixed(2)} GB` : '';
    const head = `  ${names}: ${[repository, note].filter(Boolean).join('; ')}${download}`;
    if ('refused' in c) return `${head}\n      REFUSED by the config parser: ${c.refused}`;
    const k = c.config;
    const shape =
      `hidden ${k.hiddenSize}, intermediate ${k.intermediateSize}, ${k.numLayers} layers, ` +
      `${k.numHeads} heads over ${k.numKvHeads} KV heads of ${k.headDim}, vocab ${k.vocabSize}, ${k.tieWordEmbeddings ? 'tied' : 'untied'}`;
    return `${head}\n      ${shape}`;
  });
}
