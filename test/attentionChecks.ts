// Checks of the attention kernels against a CPU computation: RoPE on q and the new keys, the
// KV-cache write, softmax over the cached keys and the weighted sum of values; a decode step through
// both one-token kernels (attentionPartial with RoPE; attentionDecode where the adapter has
// subgroups) and the combine, a prompt through attentionPartial and the combine and, where the
// adapter has subgroups, attentionPrompt. Shared by the Node tests (test/attentionKernels.test.ts) and the Chromium page.
import type { GpuContext } from '../src/gpu/context.ts';
import { createStorageBuffer, createUniformBuffer, readBuffer } from '../src/gpu/buffers.ts';
import { kernelsReady, submitDispatches } from '../src/gpu/computeKernel.ts';
import {
  AttentionKernels,
  attentionDecodeSlices,
  attentionPromptLanes,
  attentionScratchBytes,
  type AttentionOptions,
} from '../src/kernels/attention.ts';
import { check, checkClose, checkEqualArrays } from './check.ts';
import type { NamedCheck } from './kernelChecks.ts';
import { randomNormalish, seededRandom } from './random.ts';
import { attendOneHead } from './reference/forward.ts';

interface AttentionCase {
  headDim: number;
  /** Query heads per KV head. */
  group: number;
  kvHeads: number;
  /** Keys the last token attends to: the cached ones and the pass's. */
  keys: number;
  /** Tokens in the pass (default 1: a decode step); a prompt's keys are one span. */
  tokens?: number;
  splits: number;
  seed: number;
  /**
   * Through attentionPartial too (the fallback, also run by every model test on CPU adapters),
   * not only attentionDecode: on lavapipe each shape compiles for 10-30 s.
   */
  partialToo?: boolean;
}

const CASES: AttentionCase[] = [
  // the 2B-4T head (128, 4 per KV head): ten full spans of one 64-key tile
  { headDim: 128, group: 4, kvHeads: 2, keys: 640, splits: 10, seed: 61, partialToo: true },
  // the new token alone; the other spans empty
  { headDim: 64, group: 2, kvHeads: 2, keys: 1, splits: 4, seed: 62 },
  // head_dim 100 (a vec4 count no multiple of 4), spans of two tiles, one partly filled, one empty
  { headDim: 100, group: 1, kvHeads: 2, keys: 203, splits: 3, seed: 63, partialToo: true },
  // a span over two tiles (the online softmax across tiles), then one of two keys
  { headDim: 96, group: 3, kvHeads: 1, keys: 130, splits: 2, seed: 64 },
  // the limits: head_dim 256, 8 query heads per KV head, three tiles per span
  { headDim: 256, group: 8, kvHeads: 1, keys: 300, splits: 2, seed: 65 },
  // small heads, most of 64 spans empty
  { headDim: 32, group: 2, kvHeads: 2, keys: 130, splits: 64, seed: 66 },
];

/** Prompts: every token attends to its own causal keys (ropeKvWrite, then attentionPartial or attentionPrompt). */
const PROMPT_CASES: AttentionCase[] = [
  // the 2B-4T head, keys over three tiles
  { headDim: 128, group: 4, kvHeads: 2, keys: 150, tokens: 7, splits: 1, seed: 71 },
  // a whole prompt from position 0: rows of one workgroup see different numbers of keys
  { headDim: 64, group: 1, kvHeads: 2, keys: 70, tokens: 70, splits: 1, seed: 72 },
  // the limits: 8 query heads per KV head of head_dim 256
  { headDim: 256, group: 8, kvHeads: 1, keys: 40, tokens: 5, splits: 1, seed: 73 },
  // 3 heads per KV head: a block of rows ends inside a token's heads; the last block partly empty
  { headDim: 96, group: 3, kvHeads: 2, keys: 90, tokens: 45, splits: 1, seed: 74 },
  // head_dim 100: the last lanes of a row hold nothing of the head
  { headDim: 100, group: 1, kvHeads: 1, keys: 300, tokens: 33, splits: 1, seed: 75 },
];

const f = Math.fround;

/** RoPE's rotate-half as the kernels compute it, for a head at v[base..] with this position's cos/sin. */
function rotate(v: Float32Array, base: number, headDim: number, cos: Float32Array, sin: Float32Array): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(headDim);
  for (let i = 0; i < half; i++) {
    const x1 = v[base + i];
    const x2 = v[base + i + half];
    out[i] = f(x1 * cos[i] - x2 * sin[i]);
    out[i + half] = f(x2 * cos[i] + x1 * sin[i]);
  }
  return out;
}

/**
 * One pass of `c.tokens` tokens (default 1: a decode step) whose last attends to `c.keys` keys,
 * through `options.decodeSlices`' one-token kernel or, for a prompt, ropeKvWrite and
 * attentionPartial, or attentionPrompt with `options.promptLanes`.
 */
async function checkCase(ctx: GpuContext, c: AttentionCase, options: AttentionOptions): Promise<void> {
  const { decodeSlices, promptLanes } = options;
  const { device } = ctx;
  const D = c.headDim;
  const tokens = c.tokens ?? 1;
  const qHeads = c.group * c.kvHeads;
  const shape = { qHeads, kvHeads: c.kvHeads, headDim: D };
  const kernel =
    tokens > 1
      ? promptLanes === undefined
        ? 'attentionPartial'
        : `attentionPrompt (${promptLanes} lanes)`
      : decodeSlices === undefined
        ? 'attentionPartial.rope'
        : `attentionDecode (${decodeSlices} slices)`;
  const what = `${kernel} head_dim ${D}, ${c.group} per KV head, ${tokens} tokens, ${c.keys} keys in ${c.splits} spans`;
  const rand = seededRandom(c.seed);
  const pos0 = c.keys - tokens;
  const rowFloats = c.kvHeads * D;
  const stride = (qHeads + 2 * c.kvHeads) * D;
  const qkv = randomNormalish(rand, tokens * stride, 2);
  // two positions past the last token: they must stay as they were
  const kCache = randomNormalish(rand, (c.keys + 2) * rowFloats, 2);
  const vCache = randomNormalish(rand, (c.keys + 2) * rowFloats, 2);
  const angles = Array.from({ length: (c.keys + 2) * (D / 2) }, () => rand() * 2 * Math.PI);
  const cos = Float32Array.from(angles, Math.cos);
  const sin = Float32Array.from(angles, Math.sin);
  // the combine as models compile it (MAX_SPLITS slots): one pipeline for every case
  const kernels = new AttentionKernels(device, shape, { decodeSlices, promptLanes });
  const buffers = {
    step: createUniformBuffer(device, 'step', new Uint32Array([pos0, 0, 0, 0])),
    qkv: createStorageBuffer(device, 'qkv', qkv),
    kCache: createStorageBuffer(device, 'kCache', kCache),
    vCache: createStorageBuffer(device, 'vCache', vCache),
    ropeCos: createStorageBuffer(device, 'ropeCos', cos),
    ropeSin: createStorageBuffer(device, 'ropeSin', sin),
    out: createStorageBuffer(device, 'out', tokens * qHeads * D * 4),
    partial: createStorageBuffer(device, 'partial', attentionScratchBytes(shape, tokens, c.splits)),
  };
  await kernelsReady(device);
  submitDispatches(device, kernels.prepare({ ...buffers, tokens, splits: c.splits }));
  const out = new Float32Array(await readBuffer(device, buffers.out));
  const kGpu = new Float32Array(await readBuffer(device, buffers.kCache));
  const vGpu = new Float32Array(await readBuffer(device, buffers.vCache));
  for (const b of Object.values(buffers)) b.destroy();

  const angleAt = (table: Float32Array, pos: number) => table.subarray(pos * (D / 2), (pos + 1) * (D / 2));
  const wantK = kCache.slice();
  const wantV = vCache.slice();
  for (let m = 0; m < tokens; m++) {
    const pos = pos0 + m;
    for (let h = 0; h < c.kvHeads; h++) {
      const k = m * stride + (qHeads + h) * D;
      const v = m * stride + (qHeads + c.kvHeads + h) * D;
      wantK.set(rotate(qkv, k, D, angleAt(cos, pos), angleAt(sin, pos)), pos * rowFloats + h * D);
      wantV.set(qkv.subarray(v, v + D), pos * rowFloats + h * D);
    }
  }
  // a fused multiply-add may round the rotation differently from the two products here
  checkClose(kGpu, wantK, `${what}: key cache`, 1e-5, 1e-6);
  checkEqualArrays(vGpu, wantV, `${what}: value cache`);

  const want = new Float32Array(tokens * qHeads * D);
  for (let m = 0; m < tokens; m++) {
    const pos = pos0 + m;
    for (let h = 0; h < qHeads; h++) {
      const kvh = Math.floor(h / c.group);
      const rows = (cache: Float32Array) =>
        Array.from({ length: pos + 1 }, (_, t) =>
          cache.subarray(t * rowFloats + kvh * D, t * rowFloats + (kvh + 1) * D),
        );
      const q = rotate(qkv, m * stride + h * D, D, angleAt(cos, pos), angleAt(sin, pos));
      want.set(attendOneHead(q, rows(wantK), rows(wantV)), (m * qHeads + h) * D);
    }
  }
  checkClose(out, want, `${what}: output`, 1e-4, 1e-5);
}

export const attentionChecks: NamedCheck[] = [
  {
    name: "a decode step's attention (RoPE, KV-cache write, split softmax, combine) matches the CPU, through each one-token kernel the adapter has",
    async run(ctx) {
      for (const c of CASES) {
        const slices = attentionDecodeSlices(ctx.caps, c.headDim);
        if (slices !== undefined) await checkCase(ctx, c, { decodeSlices: slices });
        if (c.partialToo || slices === undefined) await checkCase(ctx, c, {});
      }
    },
  },
  {
    name: "a prompt's attention (RoPE and cache writes, causal softmax per token) matches the CPU, through attentionPartial and, where the adapter has subgroups, attentionPrompt",
    async run(ctx) {
      for (const c of PROMPT_CASES) {
        const lanes = attentionPromptLanes(ctx.caps, c.headDim);
        if (lanes !== undefined) await checkCase(ctx, c, { promptLanes: lanes });
        await checkCase(ctx, c, {});
      }
    },
  },
  {
    name: 'attentionDecode takes as many key slices as subgroups and the head allow',
    async run(ctx) {
      const caps = { ...ctx.caps, subgroups: true, subgroupId: true };
      check(attentionDecodeSlices({ ...caps, subgroupMinSize: 32 }, 128) === 8, '8 slices of 32 vec4s');
      check(attentionDecodeSlices({ ...caps, subgroupMinSize: 32 }, 256) === 4, '4 slices of 64 vec4s');
      check(attentionDecodeSlices({ ...caps, subgroupMinSize: 32 }, 100) === 8, '8 slices of 25 vec4s');
      check(attentionDecodeSlices({ ...caps, subgroupMinSize: 4 }, 128) === 4, 'subgroups of 4: 4 slices');
      check(attentionDecodeSlices({ ...caps, subgroupMinSize: 2 }, 128) === undefined, 'subgroups of 2: none');
      check(attentionDecodeSlices({ ...caps, subgroupId: false }, 128) === undefined, 'no subgroup_id: none');
    },
  },
];
