import { createStorageBuffer } from '../gpu/buffers.ts';
import { uploadTernaryWeights } from '../weights/ternaryWeights.ts';
import { uploadBf16Weights } from '../weights/bf16Weights.ts';
import { uploadInt8Weights } from '../weights/int8Weights.ts';
import { dequantizeTernary, uploadF32Weights } from '../weights/f32Weights.ts';
import { destroyWeights } from '../weights/weightParts.ts';
import type { EmbeddingFormat, EmbeddingWeights, LinearFormat, LinearWeights } from '../weights/formats.ts';
import type { TensorRequest, TernaryMatrixData } from '../weights/tensorSource.ts';
import { describeModel } from './description.ts';
import { modelRequests, tensorPlan, type LinearTensors, type ModelTensorSource } from './tensorPlan.ts';

/** A BitLinear on the GPU: its ternary matrix (or several stacked) and, with use_rms_norm, its input norm's weight. */
export interface BitLinearWeights {
  weights: LinearWeights;
  inputNorm?: GPUBuffer;
}

/** One layer's weights, shaped as its LayerTensors (tensorPlan.ts). */
export interface LayerWeights {
  inputNorm: GPUBuffer;
  /** q | k | v rows stacked: one product for all three; or, each with its own input norm, three. */
  qkv: BitLinearWeights[];
  /** Present exactly when the description has subNorms; so is ffnSubNorm. */
  attnSubNorm?: GPUBuffer;
  o: BitLinearWeights;
  postAttentionNorm: GPUBuffer;
  /** gate | up rows stacked, or (use_rms_norm) two. */
  gateUp: BitLinearWeights[];
  ffnSubNorm?: GPUBuffer;
  down: BitLinearWeights;
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
  // a stack of several matrices is labelled by what it stacks (`model.layers.0.self_attn.qkv`)
  const linear = async (l: LinearTensors, stackLabel: string): Promise<BitLinearWeights> => ({
    inputNorm: l.inputNorm && (await vector(l.inputNorm)),
    weights: await ternary(l.weights.length > 1 ? stackLabel : l.weights[0].name, l.weights),
  });
  // one after another: the upload follows the plan's order
  const linears = async (ls: LinearTensors[], stackLabel: string) => {
    const out: BitLinearWeights[] = [];
    for (const l of ls) out.push(await linear(l, stackLabel));
    return out;
  };
  const optionalVector = async (r?: TensorRequest) => r && (await vector(r));
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
      const p = `model.layers.${i}`;
      layers.push({
        inputNorm: await vector(l.inputNorm),
        qkv: await linears(l.qkv, `${p}.self_attn.qkv`),
        attnSubNorm: await optionalVector(l.attnSubNorm),
        o: await linear(l.o, `${p}.self_attn.o_proj`),
        postAttentionNorm: await vector(l.postAttentionNorm),
        gateUp: await linears(l.gateUp, `${p}.mlp.gate_up`),
        ffnSubNorm: await optionalVector(l.ffnSubNorm),
        down: await linear(l.down, `${p}.mlp.down_proj`),
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
    const linears = [...l.qkv, l.o, ...l.gateUp, l.down];
    for (const b of [l.inputNorm, l.attnSubNorm, l.postAttentionNorm, l.ffnSubNorm]) b?.destroy();
    for (const b of linears) {
      b.inputNorm?.destroy();
      destroyWeights(b.weights);
    }
  }
}
