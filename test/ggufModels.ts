// Whole models as GGUF files, written the way llama.cpp's converter lays them out, from the
// reference model of a synthetic checkpoint (test/syntheticCheckpoint.ts).
import type { GgufValue } from '../src/loader/gguf/ggufMetadata.ts';
import { f32ToBf16 } from '../src/loader/dtypes.ts';
import type { RefLinear, RefModel } from './reference/forward.ts';
import {
  GGML,
  encodeI2_S,
  encodeTq1_0,
  encodeTq2_0,
  f16Bytes,
  f32Bytes,
  gv,
  permuteRopeRows,
  writeGguf,
  type WriterTensor,
} from './ggufWriter.ts';
import { roundToF16 } from './float16.ts';

export type LinearType = 'TQ1_0' | 'TQ2_0' | 'I2_S' | 'F16' | 'BF16' | 'F32';
export type FloatType = 'F16' | 'BF16' | 'F32';

export interface GgufModelOptions {
  arch: 'bitnet' | 'bitnet-25' | 'bitnet-b1.58' | 'llama';
  linear: LinearType;
  /** Embedding table and output matrix (default BF16: exact for the reference's bf16 values). */
  embedding?: FloatType;
  /** Extra or replacement metadata; null removes a key. */
  metadata?: Record<string, GgufValue | null>;
  /** Extra tensors. */
  tensors?: WriterTensor[];
}

export function bf16Round(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  return new Float32Array(new Uint32Array([f32ToBf16(bits) << 16]).buffer)[0];
}

/** The scale a linear weight has once stored as `type` (its ternary values are 0 and +-scale). */
export function storedScale(type: LinearType, divisor: number): number {
  const scale = Math.fround(1 / divisor);
  if (type === 'TQ1_0' || type === 'TQ2_0' || type === 'F16') return roundToF16(scale);
  if (type === 'BF16') return bf16Round(scale);
  return scale;
}

function floatTensor(name: string, dims: number[], values: Float32Array, type: FloatType): WriterTensor {
  if (type === 'F32') return { name, dims, type: GGML.F32, data: f32Bytes(values) };
  if (type === 'F16') return { name, dims, type: GGML.F16, data: f16Bytes(values) };
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  return { name, dims, type: GGML.BF16, data: new Uint8Array(Uint16Array.from(bits, (b) => f32ToBf16(b)).buffer) };
}

/**
 * A linear weight as llama.cpp stores it: TQ types need rows of whole 256-weight blocks, else the
 * converter keeps the tensor in F16 (so does this).
 */
export function linearTensor(name: string, l: RefLinear, type: LinearType, permuteHeads?: number): WriterTensor {
  const w = permuteHeads ? permuteRopeRows(l.w, l.rows, l.cols, permuteHeads) : l.w;
  const dims = [l.cols, l.rows];
  const actual = (type === 'TQ1_0' || type === 'TQ2_0') && l.cols % 256 !== 0 ? 'F16' : type;
  const scale = storedScale(actual, l.divisor);
  if (actual === 'TQ1_0' || actual === 'TQ2_0') {
    // all blocks share the scale; all-zero blocks get 0, as the quantizer writes them
    const scales = Array.from({ length: w.length / 256 }, (_, b) =>
      w.subarray(b * 256, (b + 1) * 256).some((c) => c !== 0) ? scale : 0,
    );
    const data = actual === 'TQ1_0' ? encodeTq1_0(w, scales) : encodeTq2_0(w, scales);
    return { name, dims, type: GGML[actual], data };
  }
  if (actual === 'I2_S') return { name, dims, type: GGML.I2_S, data: encodeI2_S(w, scale) };
  return floatTensor(
    name,
    dims,
    Float32Array.from(w, (c) => c * scale),
    actual,
  );
}

/**
 * A synthetic checkpoint's reference model as a GGUF file of `options.arch` with linear weights of
 * `options.linear`; the shape is the reference's, the context length and special ids its config.json's.
 */
export function refModelGguf(
  checkpoint: { ref: RefModel; config: Record<string, unknown> },
  options: GgufModelOptions,
): Uint8Array {
  const { ref, config } = checkpoint;
  const c = ref.arch;
  const arch = options.arch;
  const embedding = options.embedding ?? 'BF16';
  const llama = arch === 'llama';
  const tensors: WriterTensor[] = [floatTensor('token_embd.weight', [c.hiddenSize, c.vocabSize], ref.embed, embedding)];
  ref.layers.forEach((l, i) => {
    const b = `blk.${i}`;
    tensors.push(
      floatTensor(`${b}.attn_norm.weight`, [c.hiddenSize], l.inputNorm, 'F32'),
      linearTensor(`${b}.attn_q.weight`, l.q, options.linear, llama ? c.numHeads : undefined),
      linearTensor(`${b}.attn_k.weight`, l.k, options.linear, llama ? c.numKvHeads : undefined),
      linearTensor(`${b}.attn_v.weight`, l.v, options.linear),
      linearTensor(`${b}.attn_output.weight`, l.o, options.linear),
      floatTensor(`${b}.ffn_norm.weight`, [c.hiddenSize], l.postNorm, 'F32'),
      linearTensor(`${b}.ffn_gate.weight`, l.gate, options.linear),
      linearTensor(`${b}.ffn_up.weight`, l.up, options.linear),
      linearTensor(`${b}.ffn_down.weight`, l.down, options.linear),
    );
    if (!llama && l.attnSubNorm && l.ffnSubNorm)
      tensors.push(
        floatTensor(`${b}.attn_sub_norm.weight`, [l.attnSubNorm.length], l.attnSubNorm, 'F32'),
        floatTensor(`${b}.ffn_sub_norm.weight`, [l.ffnSubNorm.length], l.ffnSubNorm, 'F32'),
      );
  });
  tensors.push(floatTensor('output_norm.weight', [c.hiddenSize], ref.finalNorm, 'F32'));
  if (!c.tieWordEmbeddings)
    tensors.push(floatTensor('output.weight', [c.hiddenSize, c.vocabSize], ref.lmHead, embedding));
  tensors.push(...(options.tensors ?? []));

  const k = (key: string) => `${arch}.${key}`;
  const bos = config.bos_token_id as number | null | undefined;
  const eos = [config.eos_token_id ?? []].flat() as number[];
  const metadata: Record<string, GgufValue | null> = {
    'general.architecture': gv.str(arch),
    'general.name': gv.str('synthetic'),
    [k('context_length')]: gv.u32(config.max_position_embeddings as number),
    [k('embedding_length')]: gv.u32(c.hiddenSize),
    [k('block_count')]: gv.u32(c.numLayers),
    [k('feed_forward_length')]: gv.u32(c.intermediateSize),
    [k('attention.head_count')]: gv.u32(c.numHeads),
    [k('attention.head_count_kv')]: gv.u32(c.numKvHeads),
    [k('rope.freq_base')]: gv.f32(c.rope.theta),
    [k('attention.layer_norm_rms_epsilon')]: gv.f32(c.rmsNormEps),
    [k('rope.dimension_count')]: gv.u32(c.headDim),
    [k('attention.key_length')]: gv.u32(c.headDim),
    [k('attention.value_length')]: gv.u32(c.headDim),
    [k('vocab_size')]: gv.u32(c.vocabSize),
    ...(arch === 'bitnet' ? { [k('hidden_activation')]: gv.str('relu2') } : {}),
    ...(typeof bos === 'number' ? { 'tokenizer.ggml.bos_token_id': gv.u32(bos) } : {}),
    ...(eos.length > 0 ? { 'tokenizer.ggml.eos_token_id': gv.u32(eos[0]) } : {}),
    ...(eos.length > 1 ? { 'tokenizer.ggml.eot_token_id': gv.u32(eos[1]) } : {}),
    ...options.metadata,
  };
  const present = Object.entries(metadata).filter((e): e is [string, GgufValue] => e[1] !== null);
  return writeGguf({ metadata: Object.fromEntries(present), tensors });
}

/** The committed GGUF fixtures (test/fixtures/gguf): tiny-a's weights, as tools/fixtures/writeGgufFixtures.py writes them. */
export const GGUF_FIXTURES: {
  file: string;
  linear: LinearType;
  architecture: string;
  types: Record<string, number>;
}[] = [
  { file: 'tiny-a-tq1_0.gguf', linear: 'TQ1_0', architecture: 'bitnet', types: { F16: 3, F32: 9, TQ1_0: 12 } },
  { file: 'tiny-a-tq2_0.gguf', linear: 'TQ2_0', architecture: 'bitnet', types: { F16: 3, F32: 9, TQ2_0: 12 } },
  { file: 'tiny-a-i2_s.gguf', linear: 'I2_S', architecture: 'bitnet-25', types: { F16: 1, F32: 9, I2_S: 14 } },
];
