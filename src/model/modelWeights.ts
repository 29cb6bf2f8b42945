import { createStorageBuffer } from '../gpu/buffers.ts';
import { uploadTernaryWeights } from '../weights/ternaryWeights.ts';
import { uploadBf16Weights } from '../weights/bf16Weights.ts';
import { uploadInt8Weights } from '../weights/int8Weights.ts';
import { dequantizeTernary, uploadF32Weights } from '../weights/f32Weights.ts';
import { destroyWeights } from '../weights/weightParts.ts';
import type { EmbeddingFormat, EmbeddingWeights, LinearFormat, LinearWeights } from '../weights/formats.ts';
import type { TensorRequest, TernaryMatrixData } from '../weights/tensorSource.ts';
import { describeModel } from './description.ts';
import { modelRequests, tensorPlan, type ModelTensorSource } from './tensorPlan.ts';

export interface LayerWeights {
  inputNorm: GPUBuffer;
  /** q | k | v rows stacked: one GEMV for all three. */
  qkv: LinearWeights;
  attnSubNorm: GPUBuffer;
  o: LinearWeights;
  postAttentionNorm: GPUBuffer;
  /** gate | up rows stacked. */
  gateUp: LinearWeights;
  ffnSubNorm: GPUBuffer;
  down: LinearWeights;
}

export interface ModelWeights {
  embedding: EmbeddingWeights;
  /** The same object as `embedding` when the checkpoint ties them. */
  lmHead: EmbeddingWeights;
  finalNorm: GPUBuffer;
  layers: LayerWeights[];
  /** GPU bytes of all weights. */
  bytes: number;
}

/** How the weights are placed on the GPU. */
export interface WeightFormats {
  /** Linear layers: 'ternary' (2-bit, default) or 'f32' (the benchmarks' dense baseline). */
  linear?: LinearFormat;
  /** Embedding table and lm_head: 'int8' (block scales, default) or 'bf16' (as in the checkpoint). */
  embedding?: EmbeddingFormat;
}

export interface UploadProgress {
  /** Tensors uploaded so far, of `total`. */
  done: number;
  total: number;
}

function stack(parts: TernaryMatrixData[]): TernaryMatrixData {
  if (parts.length === 1) return parts[0];
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
 * Places every tensor of `source` on the GPU. All tensors are checked (present, right dtype and
 * shape) before the first upload; then they are read and uploaded one at a time, so the CPU holds
 * at most one stacked matrix. On failure, what was uploaded is destroyed.
 */
export async function uploadModelWeights(
  device: GPUDevice,
  source: ModelTensorSource,
  onProgress?: (p: UploadProgress) => void,
  formats: WeightFormats = {},
): Promise<ModelWeights> {
  const linearFormat = formats.linear ?? 'ternary';
  const embeddingFormat = formats.embedding ?? 'int8';
  const plan = modelRequests(describeModel(source.config));
  const all = tensorPlan(source.config);
  for (const request of all) source.check(request);

  let done = 0;
  const created: { destroy(): void }[] = [];
  let bytes = 0;
  const tick = () => onProgress?.({ done: ++done, total: all.length });
  const vector = async (r: TensorRequest) => {
    const buffer = createStorageBuffer(device, r.name, await source.vector(r.name, r.rows));
    created.push(buffer);
    bytes += buffer.size;
    tick();
    return buffer;
  };
  const ternary = async (label: string, requests: TensorRequest[]) => {
    const parts: TernaryMatrixData[] = [];
    for (const r of requests) {
      parts.push(await source.ternary(r.name, r.rows, r.cols));
      tick();
    }
    const m = stack(parts);
    const w: LinearWeights =
      linearFormat === 'f32'
        ? uploadF32Weights(device, label, dequantizeTernary(m.packed, m.rowScale, m.rows, m.cols), m.rows, m.cols)
        : uploadTernaryWeights(device, label, m.packed, m.rowScale, m.rows, m.cols);
    created.push({ destroy: () => destroyWeights(w) });
    bytes += w.bytes;
    return w;
  };
  const bf16 = async (r: TensorRequest) => {
    const m = await source.bf16Matrix(r.name, r.rows, r.cols);
    const w: EmbeddingWeights =
      embeddingFormat === 'int8'
        ? uploadInt8Weights(device, r.name, m.words, m.rows, m.cols)
        : uploadBf16Weights(device, r.name, m.words, m.rows, m.cols);
    created.push({ destroy: () => destroyWeights(w) });
    bytes += w.bytes;
    tick();
    return w;
  };

  try {
    const embedding = await bf16(plan.embedding);
    const layers: LayerWeights[] = [];
    for (const [i, l] of plan.layers.entries()) {
      layers.push({
        inputNorm: await vector(l.inputNorm[0]),
        qkv: await ternary(`model.layers.${i}.self_attn.qkv`, l.qkv),
        attnSubNorm: await vector(l.attnSubNorm[0]),
        o: await ternary(`model.layers.${i}.self_attn.o_proj`, l.o),
        postAttentionNorm: await vector(l.postAttentionNorm[0]),
        gateUp: await ternary(`model.layers.${i}.mlp.gate_up`, l.gateUp),
        ffnSubNorm: await vector(l.ffnSubNorm[0]),
        down: await ternary(`model.layers.${i}.mlp.down_proj`, l.down),
      });
    }
    const finalNorm = await vector(plan.finalNorm);
    const lmHead = plan.lmHead ? await bf16(plan.lmHead) : embedding;
    return { embedding, lmHead, finalNorm, layers, bytes };
  } catch (err) {
    for (const c of created) c.destroy();
    throw err;
  }
}

/** Frees every GPU buffer of the weights. */
export function destroyModelWeights(w: ModelWeights): void {
  for (const m of w.lmHead === w.embedding ? [w.embedding] : [w.embedding, w.lmHead]) destroyWeights(m);
  w.finalNorm.destroy();
  for (const l of w.layers) {
    for (const b of [l.inputNorm, l.attnSubNorm, l.postAttentionNorm, l.ffnSubNorm]) b.destroy();
    for (const t of [l.qkv, l.o, l.gateUp, l.down]) destroyWeights(t);
  }
}
