import stepSource from '../../shaders/stepUniform.wgsl?raw';
import ropeSource from '../../shaders/ropeKvWrite.wgsl?raw';
import partialSource from '../../shaders/attentionPartial.wgsl?raw';
import combineSource from '../../shaders/attentionCombineQuantize.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { NORM_QUANTIZE_ROW_SOURCES, normQuantizeRowConstants } from './normQuantize.ts';
import { activationWordsFor } from './ternaryLayout.ts';

/** The most key spans a decode step's attention is split into (64-key spans fill a 4,096 context). */
export const MAX_SPLITS = 64;

export interface AttentionShape {
  qHeads: number;
  kvHeads: number;
  headDim: number;
}

export interface AttentionBindings {
  /** Per-pass uniform {pos0, genIndex}, rewritten before each submission. */
  step: GPUBuffer;
  /** [tokens, (qHeads + 2 kvHeads) * headDim]: q | k | v per token. */
  qkv: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  ropeCos: GPUBuffer;
  ropeSin: GPUBuffer;
  /** attn_sub_norm's weight [qHeads * headDim]: the output is normalized and quantized for o_proj. */
  subNorm: GPUBuffer;
  eps: number;
  /** The quantized output: activationWordsFor(qHeads * headDim) words and a scale per token. */
  xq: GPUBuffer;
  xScale: GPUBuffer;
  /** Scratch of attentionScratchBytes(shape, tokens, splits) bytes. */
  scratch: GPUBuffer;
  tokens: number;
  /** Spans the keys are split into (more workgroups for long contexts at decode). */
  splits: number;
}

/** Bytes of split-KV scratch a pass of `tokens` tokens with `splits` splits needs. */
export function attentionScratchBytes(shape: AttentionShape, tokens: number, splits: number): number {
  return tokens * splits * shape.qHeads * (shape.headDim + 2) * 4;
}

/**
 * The most key spans the combine can weigh on this device: it keeps a weight per (query head, span)
 * in workgroup memory, next to normQuantizeRow's reduction array.
 */
export function maxSplitsFor(device: GPUDevice, shape: AttentionShape): number {
  const { WG } = normQuantizeRowConstants(device, 'attentionCombineQuantize', shape.qHeads * shape.headDim);
  const free = device.limits.maxComputeWorkgroupStorageSize / 4 - WG - shape.qHeads;
  return Math.max(1, Math.min(MAX_SPLITS, Math.floor(free / shape.qHeads)));
}

/**
 * RoPE + KV-cache write (ropeKvWrite.wgsl), then causal GQA attention in two steps: per-split
 * softmax states (attentionPartial.wgsl), merged by attentionCombineQuantize.wgsl, which also
 * applies attn_sub_norm and quantizes the result for o_proj. For one token (a decode step) the
 * first kernel's work happens inside attentionPartial: two dispatches instead of three.
 */
export class AttentionKernels {
  private readonly rope: ComputeKernel;
  private readonly partial: ComputeKernel;
  /** attentionPartial with RoPE and the KV-cache write of a single token folded in. */
  private readonly partialWithRope: ComputeKernel;
  private readonly combine: ComputeKernel;
  /** Prompts take one split: a combine without the empty slots. */
  private readonly combineOneSplit: ComputeKernel;

  /** `maxSplits`: the most key spans a pass will use (the combine sums over that many slots); at most maxSplitsFor(device, shape). */
  constructor(
    private readonly device: GPUDevice,
    readonly shape: AttentionShape,
    readonly maxSplits: number,
  ) {
    const limit = maxSplitsFor(device, shape);
    if (!(Number.isInteger(maxSplits) && maxSplits >= 1 && maxSplits <= limit)) throw new InvalidArgumentError(`attention maxSplits must be an integer in 1..${limit}, got ${maxSplits}`);
    const threads = normQuantizeRowConstants(device, 'attentionCombineQuantize', shape.qHeads * shape.headDim);
    if (shape.qHeads > threads.WG) throw new InvalidArgumentError(`attention: ${shape.qHeads} query heads, at most ${threads.WG} on this device`);
    this.rope = new ComputeKernel(device, 'ropeKvWrite', [stepSource, ropeSource]);
    const partial = (rope: boolean) =>
      new ComputeKernel(device, rope ? 'attentionPartial.rope' : 'attentionPartial', [stepSource, partialSource], {
        HEAD_DIM: shape.headDim,
        GROUP: shape.qHeads / shape.kvHeads,
        ROPE: rope,
      });
    this.partial = partial(false);
    this.partialWithRope = partial(true);
    const combine = (slots: number) =>
      new ComputeKernel(device, slots === 1 ? 'attentionCombineQuantize.oneSplit' : 'attentionCombineQuantize', [...NORM_QUANTIZE_ROW_SOURCES, combineSource], {
        ...threads,
        HEADS: shape.qHeads,
        SLOTS: slots,
      });
    this.combine = combine(maxSplits);
    this.combineOneSplit = maxSplits === 1 ? this.combine : combine(1);
  }

  prepare(b: AttentionBindings): Dispatch[] {
    const { qHeads, kvHeads, headDim } = this.shape;
    if (!(Number.isInteger(b.splits) && b.splits >= 1 && b.splits <= this.maxSplits)) throw new InvalidArgumentError(`attention splits must be an integer in 1..${this.maxSplits}, got ${b.splits}`);
    const qkvStride = (qHeads + 2 * kvHeads) * headDim;
    const ropeParams = createUniformBuffer(this.device, 'ropeKvWrite.params', new Uint32Array([qHeads, kvHeads, headDim, qkvStride]));
    const partialValues = new Uint32Array([qHeads, kvHeads, qkvStride, b.splits, 0, 0, 0, 0]);
    new Float32Array(partialValues.buffer)[4] = 1 / Math.sqrt(headDim);
    const partialParams = createUniformBuffer(this.device, 'attentionPartial.params', partialValues);
    const combine = b.splits === 1 ? this.combineOneSplit : this.combine;
    const qDim = qHeads * headDim;
    const combineValues = new Uint32Array([qHeads, kvHeads, headDim, b.splits, qDim, activationWordsFor(qDim), 0, 0]);
    new Float32Array(combineValues.buffer)[6] = b.eps;
    const combineParams = createUniformBuffer(this.device, 'attentionCombineQuantize.params', combineValues);
    const partial = b.tokens === 1 ? this.partialWithRope : this.partial;
    const rope: Dispatch = {
      kernel: this.rope,
      bindGroup: this.rope.bind([ropeParams, b.step, b.qkv, b.ropeCos, b.ropeSin, b.kCache, b.vCache]),
      workgroups: [qHeads + 2 * kvHeads, b.tokens, 1],
    };
    return [
      ...(b.tokens === 1 ? [] : [rope]),
      {
        kernel: partial,
        bindGroup: partial.bind([partialParams, b.step, b.qkv, b.kCache, b.vCache, b.scratch, b.ropeCos, b.ropeSin]),
        workgroups: [kvHeads, b.tokens, b.splits],
      },
      {
        kernel: combine,
        bindGroup: combine.bind([combineParams, b.scratch, b.subNorm, b.xq, b.xScale]),
        workgroups: [b.tokens, 1, 1],
      },
    ];
  }
}
