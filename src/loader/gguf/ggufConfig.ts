import { ModelFormatError } from '../../errors.ts';
import { CONFIG_LIMITS } from '../../model/config.ts';
import { GGUF_ARCHITECTURES, expectedTensorNames, type GgufArchitecture } from './ggufArchitecture.ts';
import type { GgufFile } from './ggufFile.ts';

/** transformers' names for the activations llama.cpp's `{arch}.hidden_activation` may give. */
const ACTIVATION_NAMES: Readonly<Record<string, string>> = {
  silu: 'silu',
  swish: 'silu',
  relu2: 'relu2',
  relu_sqr: 'relu2',
  relu_squared: 'relu2',
};

/** The architecture a GGUF file declares, refused with the key named if it is not one we load. */
export function ggufArchitecture(file: GgufFile): { name: string; arch: GgufArchitecture } {
  const name = file.metadata.string('general.architecture');
  const arch = GGUF_ARCHITECTURES[name];
  if (!arch)
    file.metadata.fail(
      'general.architecture',
      `is ${JSON.stringify(name.slice(0, 60))}; supported: ${Object.keys(GGUF_ARCHITECTURES).join(', ')}`,
    );
  return { name, arch };
}

/**
 * The model's transformers config.json, as the Hugging Face checkpoint the GGUF file was converted
 * from would have it, from llama.cpp's `{arch}.*` keys, the tokenizer's special ids and the tensor
 * directory (vocabulary size from token_embd, tied embeddings when there is no output.weight). What
 * this library can run is then decided by parseBitNetConfig, as for any checkpoint. Tensors the
 * architecture does not have (biases, rope_freqs, experts) are refused here, naming the tensor.
 */
export function ggufConfigJson(file: GgufFile): Record<string, unknown> {
  const { name, arch } = ggufArchitecture(file);
  const m = file.metadata;
  const key = (k: string) => `${name}.${k}`;
  const fail: (message: string) => never = (message) => {
    throw new ModelFormatError(m.file, message);
  };

  const layers = m.uint(key('block_count'), CONFIG_LIMITS.num_hidden_layers);
  const hidden = m.uint(key('embedding_length'), CONFIG_LIMITS.hidden_size);
  const heads = m.uint(key('attention.head_count'), CONFIG_LIMITS.num_attention_heads);
  const kvHeads = m.uint(key('attention.head_count_kv'), CONFIG_LIMITS.num_attention_heads, heads);
  if (heads === 0 || kvHeads === 0) fail(`metadata ${key('attention.head_count')}: head counts must be positive`);
  const headDim = m.uint(key('attention.key_length'), CONFIG_LIMITS.hidden_size, Math.floor(hidden / heads));
  for (const k of ['attention.value_length', 'rope.dimension_count']) {
    const n = m.uint(key(k), CONFIG_LIMITS.hidden_size, headDim);
    if (n !== headDim)
      m.fail(
        key(k),
        `is ${n}, but heads are ${headDim} wide: only full-width RoPE and equal key/value heads are supported`,
      );
  }

  const embed = file.tensors.get('token_embd.weight');
  if (!embed) fail('tensor token_embd.weight (the embedding table) is missing');
  if (embed.dims.length !== 2 || embed.dims[0] !== hidden)
    fail(`tensor token_embd.weight has dims [${embed.dims}], expected [${hidden}, vocabulary size]`);
  const vocab = embed.dims[1];
  const declaredVocab = m.uint(key('vocab_size'), CONFIG_LIMITS.vocab_size, vocab);
  if (declaredVocab !== vocab)
    m.fail(key('vocab_size'), `is ${declaredVocab}, but token_embd.weight has ${vocab} rows`);

  const expected = expectedTensorNames(arch, layers);
  for (const tensor of file.tensors.keys()) {
    if (expected.has(tensor)) continue;
    if (tensor === 'rope_freqs.weight')
      fail('tensor rope_freqs.weight (Llama 3.1-style RoPE frequency scaling) is not supported');
    fail(
      `tensor ${tensor.slice(0, 80)} is not part of a ${name} model this library runs (biases, experts and extra tensors are not supported)`,
    );
  }

  const config: Record<string, unknown> = {
    model_type: arch.modelType,
    hidden_act: activation(file, name, arch),
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: m.uint(key('feed_forward_length'), CONFIG_LIMITS.intermediate_size),
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: m.float(key('attention.layer_norm_rms_epsilon')),
    rope_theta: m.float(key('rope.freq_base'), 10000),
    max_position_embeddings: m.uint(key('context_length'), Number.MAX_SAFE_INTEGER),
    tie_word_embeddings: !file.tensors.has('output.weight'),
    ...specialIds(file),
    // the GGUF source hands the kernels each tensor's scale itself; this only says "ternary, prepacked"
    quantization_config: { quant_method: 'bitnet', linear_class: 'bitlinear', quantization_mode: 'offline' },
  };
  const scaling = ropeScaling(file, name);
  if (scaling) config.rope_scaling = scaling;
  return config;
}

function activation(file: GgufFile, name: string, arch: GgufArchitecture): string {
  if (!arch.activation.key) return arch.activation.value;
  const given = file.metadata.string(`${name}.hidden_activation`, arch.activation.fallback);
  return ACTIVATION_NAMES[given] ?? given;
}

/** bos and the end-of-generation ids (eos, eot, eom: llama.cpp stops at any of them). */
function specialIds(file: GgufFile): { bos_token_id: number | null; eos_token_id: number[] } {
  const m = file.metadata;
  const id = (k: string) => (m.has(k) ? m.uint(k, CONFIG_LIMITS.vocab_size) : undefined);
  const eos = ['eos', 'eot', 'eom'].map((t) => id(`tokenizer.ggml.${t}_token_id`)).filter((i) => i !== undefined);
  return { bos_token_id: id('tokenizer.ggml.bos_token_id') ?? null, eos_token_id: [...new Set(eos)] };
}

/**
 * RoPE scaling as transformers' rope_scaling, or undefined for none. llama.cpp's `bitnet` converter
 * writes type "linear" with factor 1, which changes nothing.
 */
function ropeScaling(file: GgufFile, name: string): Record<string, unknown> | undefined {
  const m = file.metadata;
  const type = m.string(`${name}.rope.scaling.type`, 'none');
  const factor = m.float(`${name}.rope.scaling.factor`, m.float(`${name}.rope.scale_linear`, 1));
  if ((type === 'none' || type === 'linear') && factor === 1) return undefined;
  return { rope_type: type === 'none' ? 'linear' : type, factor };
}
