import stepSource from '../../shaders/stepUniform.wgsl?raw';
import rotationSource from '../../shaders/ropeRotation.wgsl?raw';
import ropeSource from '../../shaders/ropeKvWrite.wgsl?raw';
import spanSource from '../../shaders/attentionSpan.wgsl?raw';
import partialSource from '../../shaders/attentionPartial.wgsl?raw';
import combineSource from '../../shaders/attentionCombine.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';

/** attentionCombine.wgsl weighs one split per thread. */
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
  /** [tokens, qHeads * headDim] */
  out: GPUBuffer;
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
 * RoPE + KV-cache write (ropeKvWrite.wgsl), then causal GQA attention in two steps:
 * per-split softmax states (attentionPartial.wgsl) merged by attentionCombine.wgsl. For one token
 * (a decode step) the first kernel's work happens inside attentionPartial: one dispatch fewer.
 */
export class AttentionKernels {
  private readonly rope: ComputeKernel;
  private readonly partial: ComputeKernel;
  /** attentionPartial with RoPE and the KV-cache write of a single token folded in. */
  private readonly partialWithRope: ComputeKernel;
  private readonly combine: ComputeKernel;
  /** Prompts take one split: a combine without the empty slots. */
  private readonly combineOneSplit: ComputeKernel;

  /** `maxSplits`: the most key spans a pass will use (the combine sums over that many slots). */
  constructor(
    private readonly device: GPUDevice,
    readonly shape: AttentionShape,
    readonly maxSplits = MAX_SPLITS,
  ) {
    if (!(Number.isInteger(maxSplits) && maxSplits >= 1 && maxSplits <= MAX_SPLITS))
      throw new InvalidArgumentError(`attention maxSplits must be an integer in 1..${MAX_SPLITS}, got ${maxSplits}`);
    this.rope = new ComputeKernel(device, 'ropeKvWrite', [stepSource, rotationSource, ropeSource]);
    const partial = (rope: boolean) =>
      new ComputeKernel(
        device,
        rope ? 'attentionPartial.rope' : 'attentionPartial',
        [stepSource, spanSource, rotationSource, partialSource],
        {
          HEAD_DIM: shape.headDim,
          GROUP: shape.qHeads / shape.kvHeads,
          ROPE: rope,
        },
      );
    this.partial = partial(false);
    this.partialWithRope = partial(true);
    this.combine = new ComputeKernel(device, 'attentionCombine', [stepSource, spanSource, combineSource], {
      SLOTS: maxSplits,
    });
    this.combineOneSplit = new ComputeKernel(
      device,
      'attentionCombine.oneSplit',
      [stepSource, spanSource, combineSource],
      { SLOTS: 1 },
    );
  }

  prepare(b: AttentionBindings): Dispatch[] {
    const { qHeads, kvHeads, headDim } = this.shape;
    if (!(Number.isInteger(b.splits) && b.splits >= 1 && b.splits <= this.maxSplits))
      throw new InvalidArgumentError(`attention splits must be an integer in 1..${this.maxSplits}, got ${b.splits}`);
    const qkvStride = (qHeads + 2 * kvHeads) * headDim;
    const partialValues = new Uint32Array([qHeads, kvHeads, qkvStride, b.splits, 0, 0, 0, 0]);
    new Float32Array(partialValues.buffer)[4] = 1 / Math.sqrt(headDim);
    const partialParams = createUniformBuffer(this.device, 'attentionPartial.params', partialValues);
    const combine = b.splits === 1 ? this.combineOneSplit : this.combine;
    const combineParams = createUniformBuffer(
      this.device,
      'attentionCombine.params',
      new Uint32Array([qHeads, kvHeads, headDim, b.splits]),
    );
    const oneToken = b.tokens === 1;
    const partial = oneToken ? this.partialWithRope : this.partial;
    return [
      ...(oneToken ? [] : [this.ropeDispatch(b, qkvStride)]),
      {
        kernel: partial,
        bindGroup: partial.bind([partialParams, b.step, b.qkv, b.kCache, b.vCache, b.scratch, b.ropeCos, b.ropeSin]),
        workgroups: [kvHeads, b.tokens, b.splits],
      },
      {
        kernel: combine,
        bindGroup: combine.bind([combineParams, b.step, b.scratch, b.out]),
        workgroups: [qHeads, b.tokens, 1],
      },
    ];
  }

  /** RoPE on q and k and the KV-cache write of a prompt's tokens, before any of them attends. */
  private ropeDispatch(b: AttentionBindings, qkvStride: number): Dispatch {
    const { qHeads, kvHeads, headDim } = this.shape;
    const params = createUniformBuffer(
      this.device,
      'ropeKvWrite.params',
      new Uint32Array([qHeads, kvHeads, headDim, qkvStride]),
    );
    return {
      kernel: this.rope,
      bindGroup: this.rope.bind([params, b.step, b.qkv, b.ropeCos, b.ropeSin, b.kCache, b.vCache]),
      workgroups: [qHeads + 2 * kvHeads, b.tokens, 1],
    };
  }
}
