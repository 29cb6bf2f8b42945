import ropeSource from '../../shaders/ropeKvWrite.wgsl?raw';
import partialSource from '../../shaders/attentionPartial.wgsl?raw';
import combineSource from '../../shaders/attentionCombine.wgsl?raw';
import decodeSource from '../../shaders/attentionDecode.wgsl?raw';
import promptSource from '../../shaders/attentionPrompt.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import type { GpuCapabilities } from '../gpu/context.ts';
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

/** Keys per tile of the attention kernels (TILE, lib/attentionSpan.wgsl): spans are whole tiles. */
const TILE_KEYS = 64;
/** attentionDecode.wgsl's invocations: four per key of a tile. */
const DECODE_WORKGROUP = 4 * TILE_KEYS;
/** ...and the most key slices its P.V sums over in one subgroup. */
const DECODE_MAX_SLICES = 8;

/**
 * The key slices attentionDecode.wgsl is compiled with for heads of `headDim` on an adapter whose
 * smallest subgroup has `subgroupMinSize` invocations, or undefined where it cannot run (its
 * shuffles need subgroup_id and subgroups of at least 4).
 */
export function attentionDecodeSlices(caps: GpuCapabilities, headDim: number): number | undefined {
  if (!caps.subgroups || !caps.subgroupId || caps.subgroupMinSize < 4) return undefined;
  const fit = 2 ** Math.floor(Math.log2(DECODE_WORKGROUP / (headDim / 4)));
  return Math.min(DECODE_MAX_SLICES, 2 ** Math.floor(Math.log2(caps.subgroupMinSize)), fit);
}

/** attentionPrompt.wgsl's invocations (WG). */
const PROMPT_WORKGROUP = 256;
/** ...the most vec4s of a head each of a row's lanes holds: bounds its registers... */
const PROMPT_LANE_VEC4S = 4;
/** ...and the vec4s of keys (and of values) it stages in workgroup memory at a time (TILE_VEC4S). */
const PROMPT_TILE_VEC4S = 512;
/** The sets of rows its invocations hold (ROW_SETS). */
const PROMPT_ROW_SETS = 2;
/** Keys its rows take at a time (CHUNK): a tile holds a whole number of them. */
const PROMPT_CHUNK = 4;

/**
 * Lanes per query row of attentionPrompt.wgsl for heads of `headDim` on an adapter whose smallest
 * subgroup has `subgroupMinSize` invocations (enough that a lane holds at most PROMPT_LANE_VEC4S
 * vec4s of a head, where subgroups allow), or undefined where it cannot run (it needs subgroup_id).
 */
export function attentionPromptLanes(caps: GpuCapabilities, headDim: number): number | undefined {
  if (!caps.subgroups || !caps.subgroupId || caps.subgroupMinSize < 1) return undefined;
  const wanted = 2 ** Math.ceil(Math.log2(Math.ceil(headDim / 4 / PROMPT_LANE_VEC4S)));
  return Math.min(wanted, 2 ** Math.floor(Math.log2(caps.subgroupMinSize)));
}

/**
 * The most key spans of a decode step's attention, by its one-token kernel: attentionDecode's
 * workgroups are four times attentionPartial's, and 64 spans of them were more than an H200 holds
 * at once (a 4,096-token context, 2B-4T shape: 320 workgroups of 256 invocations; decode 499 ->
 * 432 tok/s, and 490 with 32 spans of two tiles).
 */
const MAX_DECODE_SPANS = { partial: MAX_SPLITS, decode: MAX_SPLITS / 2 };

/**
 * Key spans per head in a decode step's attention over up to `contextLength` keys: a 64-key tile
 * per span while MAX_DECODE_SPANS allows (a decode step has only kvHeads x splits workgroups, and
 * with 3 splits the 2B-4T shape left most of an H100 idle: 63 us per layer), longer spans beyond.
 * `decodeSlices`: as AttentionOptions.decodeSlices.
 */
export function decodeSplitsFor(contextLength: number, decodeSlices: number | undefined): number {
  const most = MAX_DECODE_SPANS[decodeSlices === undefined ? 'partial' : 'decode'];
  return Math.min(most, Math.max(1, Math.ceil(contextLength / TILE_KEYS)));
}

/** How AttentionKernels is compiled beyond the model's shape. */
export interface AttentionOptions {
  /** The most key spans a pass will use (the combine sums over that many slots); default MAX_SPLITS. */
  maxSplits?: number;
  /**
   * Key slices of attentionDecode.wgsl (attentionDecodeSlices): given, decode steps run it; else
   * attentionPartial.wgsl with RoPE folded in.
   */
  decodeSlices?: number;
  /**
   * Lanes per query row of attentionPrompt.wgsl (attentionPromptLanes): given, prompts run it;
   * else attentionPartial.wgsl per token and the combine.
   */
  promptLanes?: number;
}

/**
 * RoPE + KV-cache write (ropeKvWrite.wgsl), then causal GQA attention in two steps:
 * per-split softmax states (attentionPartial.wgsl) merged by attentionCombine.wgsl. For one token
 * (a decode step) the first kernel's work happens inside the second, attentionDecode.wgsl where
 * the adapter has subgroups: one dispatch fewer. Prompts, where the adapter has subgroups, attend
 * in one kernel after the KV-cache write (attentionPrompt.wgsl).
 */
export class AttentionKernels {
  private readonly rope: ComputeKernel;
  private readonly partial: ComputeKernel;
  /** A single token's: attentionDecode, or attentionPartial with RoPE and the KV-cache write folded in. */
  private readonly partialOneToken: ComputeKernel;
  private readonly combine: ComputeKernel;
  /** Prompts take one split: a combine without the empty slots. */
  private readonly combineOneSplit: ComputeKernel;
  /** Prompts' attention in one kernel, where the adapter has subgroups. */
  private readonly prompt?: { kernel: ComputeKernel; rowsPerWorkgroup: number };

  /** The most key spans a pass may use: a decode step's split count (decodeSplitsFor). */
  readonly maxSplits: number;

  constructor(
    private readonly device: GPUDevice,
    readonly shape: AttentionShape,
    options: AttentionOptions = {},
  ) {
    const maxSplits = options.maxSplits ?? MAX_SPLITS;
    if (!(Number.isInteger(maxSplits) && maxSplits >= 1 && maxSplits <= MAX_SPLITS))
      throw new InvalidArgumentError(`attention maxSplits must be an integer in 1..${MAX_SPLITS}, got ${maxSplits}`);
    this.maxSplits = maxSplits;
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
    this.partialOneToken = options.decodeSlices === undefined ? partial(true) : this.decodeKernel(options.decodeSlices);
    this.combine = new ComputeKernel(device, 'attentionCombine', combineSource, {
      constants: { SLOTS: maxSplits },
      slots,
    });
    this.combineOneSplit = new ComputeKernel(device, 'attentionCombine.oneSplit', combineSource, {
      constants: { SLOTS: 1 },
      slots,
    });
    if (options.promptLanes !== undefined) this.prompt = this.promptKernel(options.promptLanes);
  }

  prepare(c: AttentionCall): Dispatch[] {
    const { qHeads, kvHeads, headDim } = this.shape;
    if (!(Number.isInteger(c.splits) && c.splits >= 1 && c.splits <= this.maxSplits))
      throw new InvalidArgumentError(`attention splits must be an integer in 1..${this.maxSplits}, got ${c.splits}`);
    const qkvStride = (qHeads + 2 * kvHeads) * headDim;
    const partialValues = new Uint32Array([qHeads, kvHeads, qkvStride, c.splits, 0, c.tokens, 0, 0]);
    new Float32Array(partialValues.buffer)[4] = 1 / Math.sqrt(headDim);
    const partialParams = createUniformBuffer(this.device, 'attention.params', partialValues);
    const oneToken = c.tokens === 1;
    if (!oneToken && this.prompt) {
      const { kernel, rowsPerWorkgroup } = this.prompt;
      const rowBlocks = Math.ceil((c.tokens * qHeads) / kvHeads / rowsPerWorkgroup);
      const bind = { p: partialParams, step: c.step, qkv: c.qkv, kCache: c.kCache, vCache: c.vCache, out: c.out };
      return [
        this.ropeDispatch(c, qkvStride),
        { kernel, bindGroup: kernel.bind(bind), workgroups: [kvHeads, rowBlocks, 1] },
      ];
    }
    const combine = c.splits === 1 ? this.combineOneSplit : this.combine;
    const combineParams = createUniformBuffer(
      this.device,
      'attentionCombine.params',
      new Uint32Array([qHeads, kvHeads, headDim, c.splits]),
    );
    const partial = oneToken ? this.partialOneToken : this.partial;
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

  private decodeKernel(slices: number): ComputeKernel {
    const { qHeads, kvHeads, headDim } = this.shape;
    const d4 = headDim / 4;
    if (!(Number.isInteger(Math.log2(slices)) && slices >= 1 && slices * d4 <= DECODE_WORKGROUP))
      throw new InvalidArgumentError(
        `attention decodeSlices must be a power of two whose product with head_dim / 4 (${d4}) is at most ${DECODE_WORKGROUP}, got ${slices}`,
      );
    const registerArrays = [
      `const KEY_VEC4S = ${Math.ceil(d4 / 4)}u;`,
      `const KEYS_PER_SLICE = ${TILE_KEYS / slices}u;`,
      `const GROUP_SLOTS = ${qHeads / kvHeads}u;`,
    ].join('\n');
    return new ComputeKernel(this.device, 'attentionDecode', decodeSource, {
      constants: { HEAD_DIM: headDim, GROUP: qHeads / kvHeads, SLICES: slices },
      slots: { registerArrays },
    });
  }

  private promptKernel(lanes: number): { kernel: ComputeKernel; rowsPerWorkgroup: number } {
    const { qHeads, kvHeads, headDim } = this.shape;
    if (!(Number.isInteger(Math.log2(lanes)) && lanes >= 1 && lanes <= PROMPT_WORKGROUP))
      throw new InvalidArgumentError(
        `attention promptLanes must be a power of two up to ${PROMPT_WORKGROUP}, got ${lanes}`,
      );
    const tileKeys = Math.floor(PROMPT_TILE_VEC4S / (headDim / 4) / PROMPT_CHUNK) * PROMPT_CHUNK;
    const sizes = [
      `const LANES = ${lanes}u;`,
      `const LANE_VEC4S = ${Math.ceil(headDim / 4 / lanes)}u;`,
      `const TILE_KEYS = ${tileKeys}u;`,
    ].join('\n');
    const kernel = new ComputeKernel(this.device, 'attentionPrompt', promptSource, {
      constants: { HEAD_DIM: headDim, GROUP: qHeads / kvHeads },
      slots: { promptLanes: sizes },
    });
    return { kernel, rowsPerWorkgroup: (PROMPT_WORKGROUP / lanes) * PROMPT_ROW_SETS };
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
