import { createStorageBuffer } from '../gpu/buffers.ts';
import { uploadTernaryWeights, type TernaryWeights } from '../kernels/ternaryWeights.ts';
import { uploadBf16Weights, type Bf16Weights } from '../kernels/bf16Weights.ts';
import type { ModelTensorSource, TernaryMatrixData } from '../loader/tensorSource.ts';
import type { BitNetConfig } from './config.ts';

export interface LayerWeights {
  inputNorm: GPUBuffer;
  /** q | k | v rows stacked: one GEMV for all three. */
  qkv: TernaryWeights;
  attnSubNorm: GPUBuffer;
  o: TernaryWeights;
  postAttentionNorm: GPUBuffer;
  /** gate | up rows stacked. */
  gateUp: TernaryWeights;
  ffnSubNorm: GPUBuffer;
  down: TernaryWeights;
}

export interface ModelWeights {
  embedding: Bf16Weights;
  /** The same object as `embedding` when the checkpoint ties them. */
  lmHead: Bf16Weights;
  finalNorm: GPUBuffer;
  layers: LayerWeights[];
  /** GPU bytes of all weights. */
  bytes: number;
}

export interface UploadProgress {
  /** Tensors uploaded so far, of `total`. */
  done: number;
  total: number;
}

function stack(parts: TernaryMatrixData[]): TernaryMatrixData {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const packed = new Uint32Array(parts.reduce((n, p) => n + p.packed.length, 0));
  const rowScale = new Float32Array(rows);
  let w = 0;
  let r = 0;
  for (const p of parts) {
    packed.set(p.packed, w);
    rowScale.set(p.rowScale, r);
    w += p.packed.length;
    r += p.rows;
  }
  return { rows, cols: parts[0].cols, packed, rowScale };
}

/**
 * Reads every tensor from `source` and places it on the GPU, one layer at a time so the CPU
 * never holds more than a layer. Shapes are checked against the config by the source.
 */
export async function uploadModelWeights(
  device: GPUDevice,
  source: ModelTensorSource,
  onProgress?: (p: UploadProgress) => void,
): Promise<ModelWeights> {
  const c: BitNetConfig = source.config;
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const total = 2 + c.numLayers + (c.tieWordEmbeddings ? 0 : 1);
  let done = 0;
  const tick = () => onProgress?.({ done: ++done, total });
  let bytes = 0;
  const vector = async (name: string, n: number) => {
    bytes += n * 4;
    return createStorageBuffer(device, name, await source.vector(name, n));
  };
  const ternary = async (label: string, parts: TernaryMatrixData[]) => {
    const m = stack(parts);
    const w = uploadTernaryWeights(device, label, m.packed, m.rowScale, m.rows, m.cols);
    bytes += w.bytes;
    return w;
  };
  const bf16 = async (name: string) => {
    const m = await source.bf16Matrix(name, c.vocabSize, H);
    const w = uploadBf16Weights(device, name, m.words, m.rows, m.cols);
    bytes += w.bytes;
    return w;
  };

  const embedding = await bf16('model.embed_tokens.weight');
  tick();
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    const m = `${p}.mlp`;
    layers.push({
      inputNorm: await vector(`${p}.input_layernorm.weight`, H),
      qkv: await ternary(`${a}.qkv_proj`, [
        await source.ternary(`${a}.q_proj`, qDim, H),
        await source.ternary(`${a}.k_proj`, kvDim, H),
        await source.ternary(`${a}.v_proj`, kvDim, H),
      ]),
      attnSubNorm: await vector(`${a}.attn_sub_norm.weight`, qDim),
      o: await ternary(`${a}.o_proj`, [await source.ternary(`${a}.o_proj`, H, qDim)]),
      postAttentionNorm: await vector(`${p}.post_attention_layernorm.weight`, H),
      gateUp: await ternary(`${m}.gate_up_proj`, [await source.ternary(`${m}.gate_proj`, I, H), await source.ternary(`${m}.up_proj`, I, H)]),
      ffnSubNorm: await vector(`${m}.ffn_sub_norm.weight`, I),
      down: await ternary(`${m}.down_proj`, [await source.ternary(`${m}.down_proj`, H, I)]),
    });
    tick();
  }
  const finalNorm = await vector('model.norm.weight', H);
  tick();
  const lmHead = c.tieWordEmbeddings ? embedding : await bf16('lm_head.weight');
  if (!c.tieWordEmbeddings) tick();
  return { embedding, lmHead, finalNorm, layers, bytes };
}
