// The GPU buffers a model's passes work in, as data (planBuffers: pure), and the one place they
// are created and freed (ModelBuffers).
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffers.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';
import { attentionScratchBytes } from '../kernels/attention.ts';
import { GREEDY, samplingUniform } from '../kernels/sample.ts';
import type { ModelDescription } from './description.ts';
import { ropeTable } from './ropeTable.ts';

/** The sizes a model is loaded with. */
export interface PassSizes {
  /** Tokens the KV cache holds. */
  contextLength: number;
  /** Tokens of the longest pass (a prompt chunk). */
  prefillChunk: number;
  /** Key spans per head in a decode step's attention. */
  decodeSplits: number;
}

/** A buffer to create: an empty storage buffer, or one filled at creation, or a uniform buffer. */
export type BufferSpec =
  | { usage: 'storage'; bytes: number }
  | { usage: 'storage'; data: Float32Array }
  | { usage: 'uniform'; data: Uint32Array<ArrayBuffer> };

/** The buffers a pass binds besides the weights and the KV cache. */
export interface WorkingBuffers<B> {
  /** The pass's token ids (u32): the prompt chunk, or the token the previous decode step chose. */
  ids: B;
  /** Every id generated in a request, by decode step (u32). */
  generated: B;
  /** Uniform {position, genIndex}, rewritten before each submission. */
  step: B;
  /** The sampler's uniform (samplingUniform). */
  samplerParams: B;
  /** Bitmap of the token ids the repetition penalty counts as seen. */
  seen: B;
  /** The residual stream [tokens, hidden]. */
  x: B;
  /** q | k | v per token. */
  qkv: B;
  /** Attention output [tokens, heads * headDim]. */
  attn: B;
  /** gate | up per token. */
  gateUp: B;
  /** int8 activations of the widest linear input, four per u32, and their scale per token. */
  xq: B;
  xScale: B;
  /** Split-KV attention state (attentionScratchBytes) of a prompt chunk or of a decode step. */
  attnScratch: B;
  /**
   * A normalized hidden state [tokens, hidden]: the final norm's output, and with use_rms_norm each
   * input norm's (every linear reading it normalizes it again with its own weight).
   */
  h: B;
  /** Logits of one token [vocab]. */
  logits: B;
  /** RoPE tables [contextLength, headDim / 2] (ropeTable.ts). */
  ropeCos: B;
  ropeSin: B;
}

export interface BufferPlan {
  working: WorkingBuffers<BufferSpec>;
  /** Per layer, a key and a value cache of this many bytes each. */
  kvCache: { layers: number; bytesPerTensor: number };
  /** Logits of every token of a prompt chunk (logits(ids, 'all')): large, so made on first use. */
  allLogits: BufferSpec;
}

/** The buffers `d` needs for passes of up to `sizes.prefillChunk` tokens over a cache of `sizes.contextLength`. */
export function planBuffers(d: ModelDescription, sizes: PassSizes): BufferPlan {
  const qDim = d.numHeads * d.headDim;
  const kvDim = d.numKvHeads * d.headDim;
  const T = sizes.prefillChunk;
  const attention = { qHeads: d.numHeads, kvHeads: d.numKvHeads, headDim: d.headDim };
  const rope = ropeTable(d.rope.inverseFrequencies, sizes.contextLength);
  const f32 = (n: number): BufferSpec => ({ usage: 'storage', bytes: n * 4 });
  return {
    working: {
      ids: f32(T),
      generated: f32(sizes.contextLength),
      step: { usage: 'uniform', data: new Uint32Array(4) },
      samplerParams: { usage: 'uniform', data: samplingUniform(d.vocabSize, GREEDY) },
      seen: f32(Math.ceil(d.vocabSize / 32)),
      x: f32(T * d.hiddenSize),
      qkv: f32(T * (qDim + 2 * kvDim)),
      attn: f32(T * qDim),
      gateUp: f32(T * 2 * d.intermediateSize),
      xq: f32(T * activationWordsFor(Math.max(d.hiddenSize, qDim, d.intermediateSize))),
      xScale: f32(T),
      attnScratch: {
        usage: 'storage',
        bytes: Math.max(
          attentionScratchBytes(attention, T, 1),
          attentionScratchBytes(attention, 1, sizes.decodeSplits),
        ),
      },
      h: f32(T * d.hiddenSize),
      logits: f32(d.vocabSize),
      ropeCos: { usage: 'storage', data: rope.cos },
      ropeSin: { usage: 'storage', data: rope.sin },
    },
    kvCache: { layers: d.numLayers, bytesPerTensor: sizes.contextLength * kvDim * 4 },
    allLogits: f32(T * d.vocabSize),
  };
}

function createBuffer(device: GPUDevice, label: string, spec: BufferSpec): GPUBuffer {
  if (spec.usage === 'uniform') return createUniformBuffer(device, label, spec.data);
  return createStorageBuffer(device, label, 'data' in spec ? spec.data : spec.bytes);
}

/** The buffers of a plan on the GPU, labelled with their names (k0, v0, ... for the cache). */
export class ModelBuffers {
  readonly working: WorkingBuffers<GPUBuffer>;
  readonly kv: readonly { k: GPUBuffer; v: GPUBuffer }[];
  private allLogitsBuffer?: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly plan: BufferPlan,
  ) {
    const made: GPUBuffer[] = [];
    const make = (label: string, spec: BufferSpec) => {
      const buffer = createBuffer(device, label, spec);
      made.push(buffer);
      return buffer;
    };
    try {
      // the same keys as the plan's, each spec replaced by its buffer
      const entries = Object.entries(plan.working).map(([name, spec]) => [name, make(name, spec)]);
      this.working = Object.fromEntries(entries) as unknown as WorkingBuffers<GPUBuffer>;
      const cache: BufferSpec = { usage: 'storage', bytes: plan.kvCache.bytesPerTensor };
      this.kv = Array.from({ length: plan.kvCache.layers }, (_, i) => ({
        k: make(`k${i}`, cache),
        v: make(`v${i}`, cache),
      }));
    } catch (err) {
      for (const buffer of made) buffer.destroy();
      throw err;
    }
  }

  /** The buffer for logits of every token of a prompt chunk, created on first use. */
  allLogits(): GPUBuffer {
    this.allLogitsBuffer ??= createBuffer(this.device, 'allLogits', this.plan.allLogits);
    return this.allLogitsBuffer;
  }

  /** GPU bytes of the working buffers and of the KV cache (not counting allLogits, made on demand). */
  bytes(): { kvCache: number; working: number } {
    const working = Object.values(this.working).reduce((n: number, b: GPUBuffer) => n + b.size, 0);
    return { kvCache: 2 * this.plan.kvCache.layers * this.plan.kvCache.bytesPerTensor, working };
  }

  destroy(): void {
    for (const buffer of Object.values(this.working)) buffer.destroy();
    for (const { k, v } of this.kv) {
      k.destroy();
      v.destroy();
    }
    this.allLogitsBuffer?.destroy();
  }
}
