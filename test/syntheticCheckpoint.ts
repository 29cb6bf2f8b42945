// Writes small BitNet checkpoints in Hugging Face's format (config.json + safetensors, optionally
// sharded), with random weights, plus the same model as plain arrays for the CPU reference.
import type { ModelFiles } from '../src/loader/byteSource.ts';
import { memorySource, wrongSize } from '../src/loader/byteSource.ts';
import { ModelFormatError } from '../src/errors.ts';
import { f16ToF32, f32ToBf16 } from '../src/loader/dtypes.ts';
import { convertModel } from '../src/loader/convert.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import type { Manifest } from '../src/loader/manifest.ts';
import { quantizeMaster, type RefLayer, type RefLinear, type RefModel } from './reference/forward.ts';
import { referenceConfig } from './reference/referenceConfig.ts';
import { seededRandom } from './random.ts';
import { f32ToF16Bits } from './float16.ts';

export interface SyntheticOptions {
  /**
   * Which family's config.json and tensor names (docs/modelFamilies.md); default bitnet.
   * llama-bitnet: model_type llama + quantization_config, SiLU, no sub-norms. 1bitllm: fp16 master
   * weights (mode must be 'online'), sub-norms inner_attn_ln / ffn_layernorm, SiLU, no quantization_config.
   */
  family?: 'bitnet' | 'llama-bitnet' | '1bitllm';
  /** llama-bitnet: quantization_config.use_rms_norm with this rms_norm_eps (an RMSNorm inside every BitLinear). */
  linearNormEps?: number;
  /** config.json's rope_scaling (llama-style families), e.g. { rope_type: 'llama3', ... }. */
  ropeScaling?: Record<string, unknown>;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  headDim?: number;
  tied: boolean;
  /** offline packed with either scale convention, or bf16 master weights. */
  mode: 'bitlinear' | 'autobitlinear' | 'online';
  scaleDtype?: 'BF16' | 'F32';
  ropeTheta?: number;
  /** Where config.json puts rope_theta (transformers moved it into rope_parameters). */
  ropeThetaAt?: 'top' | 'rope_parameters';
  eps?: number;
  /** Number of safetensors files (>1 writes model.safetensors.index.json). */
  shards?: number;
  maxPositions?: number;
  seed: number;
}

type Tensor = { name: string; dtype: 'BF16' | 'F16' | 'F32' | 'U8'; shape: number[]; data: Uint8Array };

export function memoryFiles(location: string, files: Map<string, Uint8Array>): ModelFiles {
  return {
    location,
    has: async (file) => files.has(file),
    open(file) {
      const bytes = files.get(file);
      if (!bytes) throw new ModelFormatError(file, 'not found');
      return memorySource(file, bytes);
    },
    async readText(file) {
      const bytes = files.get(file);
      if (!bytes) throw new ModelFormatError(file, 'not found');
      return new TextDecoder().decode(bytes);
    },
    async download(file, size, onBytes) {
      const bytes = files.get(file);
      if (!bytes) throw new ModelFormatError(file, 'not found');
      if (bytes.byteLength !== size) throw wrongSize(file, size, bytes.byteLength);
      onBytes?.(size);
      return bytes.slice();
    },
  };
}

export function bf16Bytes(values: Float32Array): { bytes: Uint8Array; rounded: Float32Array } {
  const bits = new Uint32Array(values.buffer.slice(0));
  const out = new Uint16Array(values.length);
  const rounded = new Float32Array(values.length);
  const roundedBits = new Uint32Array(rounded.buffer);
  for (let i = 0; i < values.length; i++) {
    out[i] = f32ToBf16(bits[i]);
    roundedBits[i] = out[i] << 16;
  }
  return { bytes: new Uint8Array(out.buffer), rounded };
}

export function f16Bytes(values: Float32Array): { bytes: Uint8Array; rounded: Float32Array } {
  const out = Uint16Array.from(values, f32ToF16Bits);
  return { bytes: new Uint8Array(out.buffer), rounded: Float32Array.from(out, f16ToF32) };
}

/** A safetensors file with the header text as given (valid or not) and `dataBytes` zero bytes of data. */
export function safetensorsWithHeader(headerText: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

export function writeSafetensors(tensors: Tensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.data, p);
    p += t.data.byteLength;
  }
  return out;
}

/** HF packing: row r = i * ceil(rows/4) + j goes to packed[j, c] bits 2i..2i+1 as w + 1. */
function packHuggingFace(w: Int8Array, rows: number, cols: number): Uint8Array {
  const quarter = Math.ceil(rows / 4);
  const packed = new Uint8Array(quarter * cols);
  for (let r = 0; r < rows; r++) {
    const i = Math.floor(r / quarter);
    const j = r % quarter;
    for (let c = 0; c < cols; c++) packed[j * cols + c] |= (w[r * cols + c] + 1) << (2 * i);
  }
  return packed;
}

export function syntheticCheckpoint(o: SyntheticOptions): {
  files: ModelFiles;
  bytes: Map<string, Uint8Array>;
  ref: RefModel;
  config: Record<string, unknown>;
} {
  const rand = seededRandom(o.seed);
  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 2 * scale);
  const headDim = o.headDim ?? o.hidden / o.heads;
  const family = o.family ?? 'bitnet';
  if (family === '1bitllm' && o.mode !== 'online')
    throw new Error('1bitLLM checkpoints hold master weights: mode online');
  const tensors: Tensor[] = [];
  // 1bitLLM's checkpoints are fp16, the others bf16
  const floatDtype = family === '1bitllm' ? 'F16' : 'BF16';
  const addFloat = (name: string, values: Float32Array, shape: number[]): Float32Array => {
    const { bytes, rounded } = floatDtype === 'F16' ? f16Bytes(values) : bf16Bytes(values);
    tensors.push({ name, dtype: floatDtype, shape, data: bytes });
    return rounded;
  };
  const norm = (name: string, n: number) =>
    addFloat(
      name,
      Float32Array.from({ length: n }, () => 0.6 + rand() * 0.8),
      [n],
    );
  const linear = (name: string, rows: number, cols: number): RefLinear => {
    const inputNorm = o.linearNormEps === undefined ? undefined : norm(`${name}.rms_norm.weight`, cols);
    return { ...ternaryLinear(name, rows, cols), inputNorm };
  };
  const ternaryLinear = (name: string, rows: number, cols: number): RefLinear => {
    if (o.mode === 'online') {
      const master = addFloat(`${name}.weight`, normal(rows * cols, 0.02), [rows, cols]);
      const q = quantizeMaster(master);
      return { rows, cols, w: q.w, divisor: q.divisor };
    }
    const w = Int8Array.from({ length: rows * cols }, () => Math.floor(rand() * 3) - 1);
    tensors.push({
      name: `${name}.weight`,
      dtype: 'U8',
      shape: [Math.ceil(rows / 4), cols],
      data: packHuggingFace(w, rows, cols),
    });
    let scale = 0.5 + rand() * 2;
    if (o.scaleDtype === 'F32') {
      tensors.push({
        name: `${name}.weight_scale`,
        dtype: 'F32',
        shape: [1],
        data: new Uint8Array(new Float32Array([scale]).buffer),
      });
      scale = Math.fround(scale);
    } else {
      scale = addFloat(`${name}.weight_scale`, new Float32Array([scale]), [1])[0];
    }
    return { rows, cols, w, divisor: o.mode === 'bitlinear' ? scale : Math.fround(1 / scale) };
  };
  const subNorms =
    family === 'bitnet'
      ? { attn: 'self_attn.attn_sub_norm', ffn: 'mlp.ffn_sub_norm' }
      : family === '1bitllm'
        ? { attn: 'self_attn.inner_attn_ln', ffn: 'mlp.ffn_layernorm' }
        : undefined;

  // The runtime holds embedding tables in bf16 at best: fp16 ones get values bf16 holds exactly, so
  // the comparison checks the computation, not that rounding (the bitnet-1bitllm fixture has it).
  const table = (values: Float32Array) => (floatDtype === 'F16' ? bf16Bytes(values).rounded : values);
  const embed = addFloat('model.embed_tokens.weight', table(normal(o.vocab * o.hidden, 1)), [o.vocab, o.hidden]);
  const qDim = o.heads * headDim;
  const kvDim = o.kvHeads * headDim;
  const layers: RefLayer[] = [];
  for (let i = 0; i < o.layers; i++) {
    const p = `model.layers.${i}`;
    layers.push({
      inputNorm: norm(`${p}.input_layernorm.weight`, o.hidden),
      q: linear(`${p}.self_attn.q_proj`, qDim, o.hidden),
      k: linear(`${p}.self_attn.k_proj`, kvDim, o.hidden),
      v: linear(`${p}.self_attn.v_proj`, kvDim, o.hidden),
      attnSubNorm: subNorms && norm(`${p}.${subNorms.attn}.weight`, qDim),
      o: linear(`${p}.self_attn.o_proj`, o.hidden, qDim),
      postNorm: norm(`${p}.post_attention_layernorm.weight`, o.hidden),
      gate: linear(`${p}.mlp.gate_proj`, o.intermediate, o.hidden),
      up: linear(`${p}.mlp.up_proj`, o.intermediate, o.hidden),
      ffnSubNorm: subNorms && norm(`${p}.${subNorms.ffn}.weight`, o.intermediate),
      down: linear(`${p}.mlp.down_proj`, o.hidden, o.intermediate),
    });
  }
  const finalNorm = norm('model.norm.weight', o.hidden);
  const lmHead = o.tied
    ? embed
    : addFloat('lm_head.weight', table(normal(o.vocab * o.hidden, 0.5)), [o.vocab, o.hidden]);

  const theta = o.ropeTheta ?? 10000;
  const quantization: Record<string, unknown> = {
    quant_method: 'bitnet',
    linear_class: o.mode === 'online' ? 'autobitlinear' : o.mode,
    quantization_mode: o.mode === 'online' ? 'online' : 'offline',
  };
  if (o.linearNormEps !== undefined) Object.assign(quantization, { use_rms_norm: true, rms_norm_eps: o.linearNormEps });
  const config: Record<string, unknown> = {
    architectures: [
      { bitnet: 'BitNetForCausalLM', 'llama-bitnet': 'LlamaForCausalLM', '1bitllm': 'BitnetForCausalLM' }[family],
    ],
    model_type: family === 'bitnet' ? 'bitnet' : 'llama',
    hidden_act: family === 'bitnet' ? 'relu2' : 'silu',
    hidden_size: o.hidden,
    intermediate_size: o.intermediate,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    num_key_value_heads: o.kvHeads,
    vocab_size: o.vocab,
    max_position_embeddings: o.maxPositions ?? 256,
    rms_norm_eps: o.eps ?? 1e-5,
    tie_word_embeddings: o.tied,
    bos_token_id: 1,
    eos_token_id: [2, 3],
  };
  if (family === '1bitllm') Object.assign(config, { weight_bits: 1, input_bits: 8 });
  else config.quantization_config = quantization;
  if (o.ropeScaling) config.rope_scaling = o.ropeScaling;
  if (o.headDim) config.head_dim = o.headDim;
  if (o.ropeThetaAt === 'rope_parameters') config.rope_parameters = { rope_type: 'default', rope_theta: theta };
  else config.rope_theta = theta;

  const files = new Map<string, Uint8Array>();
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config)));
  const shards = o.shards ?? 1;
  if (shards === 1) {
    files.set('model.safetensors', writeSafetensors(tensors));
  } else {
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards; s++) {
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const mine = tensors.filter((_, i) => i % shards === s);
      for (const t of mine) weightMap[t.name] = name;
      files.set(name, writeSafetensors(mine));
    }
    files.set(
      'model.safetensors.index.json',
      new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })),
    );
  }
  return {
    files: memoryFiles(`synthetic-${o.seed}`, files),
    bytes: files,
    ref: { arch: referenceConfig(config).arch, embed, lmHead, finalNorm, layers },
    config,
  };
}

/** The synthetic checkpoint converted into our shards, in memory as a server would hold them. */
export async function syntheticConverted(
  o: SyntheticOptions,
  shardBytes = 64 * 1024,
): Promise<{ files: Map<string, Uint8Array>; manifest: Manifest }> {
  const { files: hf, config } = syntheticCheckpoint(o);
  const out = new Map<string, Uint8Array>();
  const manifest = await convertModel(
    await openHuggingFaceCheckpoint(hf),
    config,
    [],
    async (s, bytes) => void out.set(s.file, bytes.slice()),
    { shardBytes },
  );
  out.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return { files: out, manifest };
}

/** A tiny two-layer BitNet checkpoint's shape, for tests about files rather than numbers (`seed` varies per test). */
export const SMALL_SHAPE: Omit<SyntheticOptions, 'seed'> = {
  hidden: 64,
  intermediate: 96,
  layers: 2,
  heads: 2,
  kvHeads: 1,
  vocab: 50,
  tied: true,
  mode: 'bitlinear',
};
