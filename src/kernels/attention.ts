import ropeSource from '../../shaders/ropeKvWrite.wgsl?raw';
import partialSource from '../../shaders/attentionPartial.wgsl?raw';
import combineSource from '../../shaders/attentionCombine.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { MAX_GROUP, MAX_HEAD_DIM, MAX_SPLITS } from './attentionLimits.ts';

export { MAX_GROUP, MAX_HEAD_DIM, MAX_SPLITS };

/** The limits above as the WGSL constants that fill the attention kernels' slot attentionLimits. */
const LIMITS_WGSL = [
  `const MAX_HEAD_DIM = ${MAX_HEAD_DIM}u;`,
  `const MAX_GROUP = ${MAX_GROUP}u;`,
  `const MAX_SPLITS = ${MAX_SPLITS}u;`,
].join('\n');

export interface AttentionShape {
  qHeads: number;
  kvHeads: number;
  headDim: number;
}

/** One layer's attention for a pass; buffers by their names in the attention kernels' WGSL. */
export interface AttentionCall {
  /** Per-pass uniform {pos0, genIndex} (lib/stepUniform.wgsl), rewritten before each submission. */
  step: GPUBuffer;
  /** [tokens, (qHeads + 2 kvHeads) * headDim]: q | k | v per token. */
  qkv: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  ropeCos: GPUBuffer;
  ropeSin: GPUBuffer;
  /** [tokens, qHeads * headDim] */
  out: GPUBuffer;
  /** Per-split softmax states: scratch of attentionScratchBytes(shape, tokens, splits) bytes. */
  partial: GPUBuffer;
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
    const { qHeads, kvHeads, headDim } = shape;
    if (!(headDim % 4 === 0 && headDim <= MAX_HEAD_DIM))
      throw new InvalidArgumentError(
        `attention head_dim must be a multiple of 4 up to ${MAX_HEAD_DIM}, got ${headDim}`,
      );
    if (!(qHeads % kvHeads === 0 && qHeads / kvHeads <= MAX_GROUP))
      throw new InvalidArgumentError(
        `attention needs a whole number of query heads, at most ${MAX_GROUP}, per KV head, got ${qHeads} for ${kvHeads}`,
      );
    const slots = { attentionLimits: LIMITS_WGSL };
    this.rope = new ComputeKernel(device, 'ropeKvWrite', ropeSource);
    const partial = (rope: boolean) =>
      new ComputeKernel(device, rope ? 'attentionPartial.rope' : 'attentionPartial', partialSource, {
        constants: { HEAD_DIM: headDim, GROUP: qHeads / kvHeads, ROPE: rope },
        slots,
      });
    this.partial = partial(false);
    this.partialWithRope = partial(true);
    this.combine = new ComputeKernel(device, 'attentionCombine', combineSource, {
      constants: { SLOTS: maxSplits },
      slots,
    });
    this.combineOneSplit = new ComputeKernel(device, 'attentionCombine.oneSplit', combineSource, {
      constants: { SLOTS: 1 },
      slots,
    });
  }

  prepare(c: AttentionCall): Dispatch[] {
    const { qHeads, kvHeads, headDim } = this.shape;
    if (!(Number.isInteger(c.splits) && c.splits >= 1 && c.splits <= this.maxSplits))
      throw new InvalidArgumentError(`attention splits must be an integer in 1..${this.maxSplits}, got ${c.splits}`);
    const qkvStride = (qHeads + 2 * kvHeads) * headDim;
    const partialValues = new Uint32Array([qHeads, kvHeads, qkvStride, c.splits, 0, 0, 0, 0]);
    new Float32Array(partialValues.buffer)[4] = 1 / Math.sqrt(headDim);
    const partialParams = createUniformBuffer(this.device, 'attentionPartial.params', partialValues);
    const combine = c.splits === 1 ? this.combineOneSplit : this.combine;
    const combineParams = createUniformBuffer(
      this.device,
      'attentionCombine.params',
      new Uint32Array([qHeads, kvHeads, headDim, c.splits]),
    );
    const oneToken = c.tokens === 1;
    const partial = oneToken ? this.partialWithRope : this.partial;
    return [
      ...(oneToken ? [] : [this.ropeDispatch(c, qkvStride)]),
      {
        kernel: partial,
        bindGroup: partial.bind({
          p: partialParams,
          step: c.step,
          qkv: c.qkv,
          kCache: c.kCache,
          vCache: c.vCache,
          partial: c.partial,
          ropeCos: c.ropeCos,
          ropeSin: c.ropeSin,
        }),
        workgroups: [kvHeads, c.tokens, c.splits],
      },
      {
        kernel: combine,
        bindGroup: combine.bind({ p: combineParams, step: c.step, partial: c.partial, out: c.out }),
        workgroups: [qHeads, c.tokens, 1],
      },
    ];
  }

  /** RoPE on q and k and the KV-cache write of a prompt's tokens, before any of them attends. */
  private ropeDispatch(c: AttentionCall, qkvStride: number): Dispatch {
    const { qHeads, kvHeads, headDim } = this.shape;
    const params = createUniformBuffer(
      this.device,
      'ropeKvWrite.params',
      new Uint32Array([qHeads, kvHeads, headDim, qkvStride]),
    );
    return {
      kernel: this.rope,
      bindGroup: this.rope.bind({
        p: params,
        step: c.step,
        qkv: c.qkv,
        ropeCos: c.ropeCos,
        ropeSin: c.ropeSin,
        kCache: c.kCache,
        vCache: c.vCache,
      }),
      workgroups: [qHeads + 2 * kvHeads, c.tokens, 1],
    };
  }
}
