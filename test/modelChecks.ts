// Whole-model checks against Hugging Face transformers' outputs (test/fixtures), shared by
// the Node tests and the Chromium page. "Close" is defined in test/fixtures/README.md.
import type { GpuContext } from '../src/gpu/context.ts';
import type { ModelFiles } from '../src/loader/byteSource.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import { openModel } from '../src/loader/openModel.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { fusedDecodeMissing } from '../src/model/modelKernels.ts';
import type { GemvLayout, TernaryDotVariant } from '../src/kernels/ternaryMatmul.ts';
import type { EmbeddingFormat } from '../src/weights/formats.ts';
import { check } from './check.ts';
import { referenceExpectations, type RefModel } from './reference/forward.ts';
import { RoundingTies, type Tie } from './reference/roundingTies.ts';
import { syntheticCheckpoint, type SyntheticOptions } from './syntheticCheckpoint.ts';
import { seededRandom } from './random.ts';

export interface ExpectedCase {
  input_ids: number[];
  last_logits: number[];
  top5_ids: number[][];
  greedy_new_ids: number[];
  greedy_top2_margin: number[];
}

export interface GoldenReport {
  maxDiff: number;
  meanDiff: number;
  top1Agreement: number;
  greedyCompared: number;
}

/** Compares logits and greedy tokens of one case with transformers'; throws with the numbers if not close. */
export interface Tolerance {
  maxDiff: number;
  meanDiff: number;
}

/** The fixtures README's bounds for a sound implementation against transformers. */
export const TRANSFORMERS_TOLERANCE: Tolerance = { maxDiff: 1.5, meanDiff: 0.25 };
/**
 * Against our own CPU reference (same math, float32): only int8 rounding flips (from float summation
 * order) differ; bugs give mean >= 1.9. A flip of a value on a rounding tie, amplified by random
 * weights, can exceed it: compareUpToTies then compares with that value rounded the other way.
 */
export const REFERENCE_TOLERANCE: Tolerance = { maxDiff: 0.5, meanDiff: 0.1 };

export async function checkGoldenCase(
  model: BitNetModel,
  c: ExpectedCase,
  what: string,
  tol = TRANSFORMERS_TOLERANCE,
): Promise<GoldenReport> {
  const V = model.config.vocabSize;
  model.reset();
  const all = await model.logits(c.input_ids, 'all');
  const last = all.subarray((c.input_ids.length - 1) * V);
  let maxDiff = 0;
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const d = Math.abs(last[i] - c.last_logits[i]);
    maxDiff = Math.max(maxDiff, d);
    sum += d;
  }
  const meanDiff = sum / V;
  let agree = 0;
  for (let p = 0; p < c.input_ids.length; p++) {
    const row = all.subarray(p * V, (p + 1) * V);
    let best = 0;
    for (let i = 1; i < V; i++) if (row[i] > row[best]) best = i;
    if (best === c.top5_ids[p][0]) agree++;
  }
  const top1Agreement = agree / c.input_ids.length;
  check(
    maxDiff <= tol.maxDiff && meanDiff <= tol.meanDiff,
    `${what}: last logits differ from the expected ones: max |diff| ${maxDiff.toFixed(3)} (<= ${tol.maxDiff}), mean ${meanDiff.toFixed(3)} (<= ${tol.meanDiff})`,
  );
  check(
    top1Agreement >= 0.9,
    `${what}: top-1 agrees with the expected one at ${(top1Agreement * 100).toFixed(1)}% of positions (>= 90%)`,
  );

  model.reset();
  // greedy_top2_margin[i] is the reference's margin when it chose token i: from the first near-tie
  // on, either choice is right and what follows depends on it, so neither is compared or generated.
  const tie = c.greedy_top2_margin.findIndex((m) => m < 0.3);
  const compared = tie < 0 ? c.greedy_new_ids.length : tie;
  const generated = compared > 0 ? await model.generateGreedy(c.input_ids, compared, { stopIds: [] }) : [];
  for (let i = 0; i < compared; i++) {
    check(
      generated[i] === c.greedy_new_ids[i],
      `${what}: greedy token ${i} is ${generated[i]}, expected ${c.greedy_new_ids[i]} (ours: ${generated}, theirs: ${c.greedy_new_ids})`,
    );
  }
  return { maxDiff, meanDiff, top1Agreement, greedyCompared: compared };
}

/**
 * The golden fixtures of the families besides transformers' bitnet (docs/modelFamilies.md), one
 * folder of test/fixtures each: seeded random weights, written by tools/fixtures/makeFamilyFixtures.py.
 */
export const FAMILY_FIXTURES = [
  'llama-bitnet-untied',
  'llama-bitnet-tied',
  'falcon-e',
  'llama-bitnet-rmsnorm',
  'bitnet-1bitllm',
] as const;

export interface FixtureSet {
  name: string;
  files: ModelFiles;
  expected: { cases: ExpectedCase[] };
  /**
   * 'bf16' for seeded random models: they amplify the int8 table's ~0.4% rounding past the
   * tolerance (max |diff| 1.9 on tiny-a), while a trained model's perplexity does not move.
   */
  embeddingFormat?: EmbeddingFormat;
}

/** Loads the fixture model and checks every case, for each kernel choice given (default: kernelChoices). */
export interface KernelChoice {
  variant: TernaryDotVariant;
  gemvLayout: GemvLayout;
  /** Decode steps through the fused linears (BitNetModelOptions.fusedDecode); default false. */
  fusedDecode?: boolean;
}

/**
 * Every dot-product variant the adapter has, each with one of the GEMV layouts (both layouts get
 * covered), and the fused decode linears where the adapter has them (with dot4 and lanes, as on GPUs).
 */
export function kernelChoices(ctx: GpuContext): KernelChoice[] {
  if (ctx.caps.dot4I8Packed && fusedDecodeMissing(ctx.caps) === undefined)
    return [
      { variant: 'dot4', gemvLayout: 'lanes', fusedDecode: true },
      { variant: 'addsub', gemvLayout: 'rows' },
    ];
  return ctx.caps.dot4I8Packed
    ? [
        { variant: 'dot4', gemvLayout: 'rows' },
        { variant: 'addsub', gemvLayout: 'lanes' },
      ]
    : [
        { variant: 'addsub', gemvLayout: 'rows' },
        { variant: 'addsub', gemvLayout: 'lanes' },
      ];
}

export async function checkFixture(
  ctx: GpuContext,
  fixture: FixtureSet,
  log: (line: string) => void = () => {},
  choices: KernelChoice[] = kernelChoices(ctx),
): Promise<void> {
  const { source } = await openModel(fixture.files);
  for (const { variant, gemvLayout, fusedDecode = false } of choices) {
    // A chunk smaller than the longest prompt makes prefill run in several passes.
    const model = await BitNetModel.load(ctx, source, {
      variant,
      gemvLayout,
      fusedDecode,
      prefillChunk: 128,
      embeddingFormat: fixture.embeddingFormat,
    });
    try {
      for (const [i, c] of fixture.expected.cases.entries()) {
        const kernels = `${variant}/${gemvLayout}${fusedDecode ? '/fused' : ''}`;
        const r = await checkGoldenCase(model, c, `${fixture.name} case ${i} (${kernels})`);
        check(
          model.fusedDecode === fusedDecode,
          `${fixture.name}: fusedDecode ${model.fusedDecode}, asked ${fusedDecode}`,
        );
        log(
          `${fixture.name} case ${i} ${kernels}: max ${r.maxDiff.toFixed(3)} mean ${r.meanDiff.toFixed(4)} top1 ${(r.top1Agreement * 100).toFixed(1)}% greedy ${r.greedyCompared}/${c.greedy_new_ids.length}`,
        );
      }
    } finally {
      model.dispose();
    }
  }
}

/**
 * The GGUF files of tiny-a run on the GPU (test/fixtures/gguf): I2_S, and TQ2_0 with its F16
 * fallback. TQ1_0 converts to TQ2_0's very shards (test/ggufFixtures.test.ts).
 */
export const GGUF_GOLDEN_FILES = ['tiny-a-i2_s.gguf', 'tiny-a-tq2_0.gguf'];

/**
 * Every case of a fixture on a model that createEngine loaded (through the whole load pipeline);
 * the engine is disposed of afterwards.
 */
export async function checkLoadedFixture(
  engine: { model: BitNetModel; dispose(): void },
  fixture: Pick<FixtureSet, 'name' | 'expected'>,
  log: (line: string) => void = () => {},
): Promise<void> {
  try {
    for (const [i, c] of fixture.expected.cases.entries()) {
      const r = await checkGoldenCase(engine.model, c, `${fixture.name} case ${i}`);
      log(
        `${fixture.name} case ${i}: max ${r.maxDiff.toFixed(3)} mean ${r.meanDiff.toFixed(4)} top1 ${(r.top1Agreement * 100).toFixed(1)}% greedy ${r.greedyCompared}/${c.greedy_new_ids.length}`,
      );
    }
  } finally {
    engine.dispose();
  }
}

/** Configurations unlike tiny-a, checked against the CPU reference. */
export const CONFIG_VARIANTS: SyntheticOptions[] = [
  // untied lm_head, GQA 4:1, f32 scales, top-level rope_theta, odd vocab, autobitlinear scales, 3 layers
  // (a 1024-token context splits each decode step's attention over up to 16 key spans of 64)
  {
    hidden: 128,
    intermediate: 200,
    layers: 3,
    heads: 8,
    kvHeads: 2,
    vocab: 517,
    tied: false,
    mode: 'autobitlinear',
    scaleDtype: 'F32',
    ropeTheta: 10000,
    ropeThetaAt: 'top',
    maxPositions: 1024,
    seed: 101,
  },
  // plain multi-head attention, explicit head_dim (heads * head_dim != hidden), sharded checkpoint, other eps
  {
    hidden: 96,
    intermediate: 160,
    layers: 2,
    heads: 4,
    kvHeads: 4,
    headDim: 32,
    vocab: 300,
    tied: true,
    mode: 'bitlinear',
    ropeTheta: 500000,
    ropeThetaAt: 'rope_parameters',
    eps: 1e-6,
    shards: 3,
    seed: 102,
  },
  // bf16 master weights quantized at load, untied, GQA 3:1, head_dim 64
  {
    hidden: 192,
    intermediate: 320,
    layers: 2,
    heads: 3,
    kvHeads: 1,
    vocab: 411,
    tied: false,
    mode: 'online',
    ropeTheta: 1e6,
    seed: 103,
  },
  // llama + BitNet quantization (Falcon3's block): SiLU, no sub-norms, 3 query heads per KV head,
  // head_dim 96 given explicitly (heads * head_dim != hidden), Llama 3.1 RoPE scaling whose
  // original context (64) the prompt crosses, untied
  {
    family: 'llama-bitnet',
    hidden: 192,
    intermediate: 256,
    layers: 2,
    heads: 6,
    kvHeads: 2,
    headDim: 96,
    vocab: 333,
    tied: false,
    mode: 'bitlinear',
    ropeTheta: 500000,
    ropeScaling: {
      rope_type: 'llama3',
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 64,
    },
    seed: 104,
  },
  // 1bitLLM (bitnet_b1_58-3B's head_dim 100: a multiple of 4, not of 8): fp16 master weights,
  // sub-norms inner_attn_ln / ffn_layernorm, SiLU, one KV head per query head, tied
  {
    family: '1bitllm',
    hidden: 200,
    intermediate: 264,
    layers: 2,
    heads: 2,
    kvHeads: 2,
    vocab: 301,
    tied: true,
    mode: 'online',
    seed: 105,
  },
  // the attention's limits at once (8 query heads per KV head of head_dim 256), with
  // use_rms_norm (an RMSNorm inside every BitLinear: q, k, v, gate, up each quantize their own
  // input) on autobitlinear master weights, linear RoPE scaling
  {
    family: 'llama-bitnet',
    hidden: 128,
    intermediate: 160,
    layers: 2,
    heads: 16,
    kvHeads: 2,
    headDim: 256,
    vocab: 257,
    tied: false,
    mode: 'online',
    linearNormEps: 1e-5,
    eps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: { rope_type: 'linear', factor: 2 },
    seed: 106,
  },
];

/** The ties compareUpToTies tries rounding the other way, the closest first. */
const TIES_TRIED = 4;

/**
 * `compare` (which throws when its case is not close) against the reference's expectations for
 * `prompt`, then, should that fail, against the reference with one of its rounding ties rounded the
 * other way (RoundingTies: either rounding is right in float32), each of the TIES_TRIED closest in
 * turn. Resolves to compare's result and the tie it needed, or throws the first failure.
 */
export async function compareUpToTies<R>(
  ref: RefModel,
  prompt: readonly number[],
  newTokens: number,
  compare: (expected: ExpectedCase) => Promise<R>,
): Promise<{ result: R; roundedOtherWay?: Tie }> {
  const ties = new RoundingTies();
  const expected = referenceExpectations(ref, prompt, newTokens, ties);
  try {
    return { result: await compare(expected) };
  } catch (failure) {
    for (const tie of ties.nearest(TIES_TRIED)) {
      const other = referenceExpectations(ref, prompt, newTokens, new RoundingTies(tie));
      const result = await compare(other).catch(() => undefined);
      if (result !== undefined) return { result, roundedOtherWay: tie };
    }
    throw failure;
  }
}

/** The prompt checkConfigVariant feeds a variant: long enough for several attention tiles (64 keys) and prefill chunks (16 tokens). */
export function configVariantPrompt(o: SyntheticOptions): number[] {
  const rand = seededRandom(o.seed + 7);
  return Array.from({ length: 150 }, () => Math.floor(rand() * o.vocab));
}

export async function checkConfigVariant(
  ctx: GpuContext,
  o: SyntheticOptions,
): Promise<GoldenReport & { roundedOtherWay?: Tie }> {
  const { files, ref } = syntheticCheckpoint(o);
  const prompt = configVariantPrompt(o);
  // the reference keeps the table in bf16, and random weights amplify int8 rounding (see FixtureSet)
  const model = await BitNetModel.load(ctx, await openHuggingFaceCheckpoint(files), {
    prefillChunk: 16,
    embeddingFormat: 'bf16',
  });
  try {
    const { result, roundedOtherWay } = await compareUpToTies(ref, prompt, 12, (expected) =>
      checkGoldenCase(model, expected, `synthetic seed ${o.seed}`, REFERENCE_TOLERANCE),
    );
    return { ...result, roundedOtherWay };
  } finally {
    model.dispose();
  }
}

/**
 * The decode path (GEMV, attention split over key spans) against the prefill path (GEMM, one span):
 * a decode step over the cache that one prefill pass wrote must give that pass's logits for the
 * same token, at every position. Each step starts from prefill's cache (the latest position
 * first, so the entry a step writes is never read again): fed one after another instead, a value
 * within float noise of an int8 rounding tie that the two paths round differently at one position
 * changes that position's keys and values, and random weights carry it on to later ones (on an
 * H200, the fused linears then differed from prefill by up to 0.51 at 6 of 300 positions; from
 * prefill's cache, by at most 0.07). The decode path's own cache writes are checked by the
 * attention checks (test/attentionChecks.ts), its runs of steps by every greedy continuation.
 */
export async function checkDecodeMatchesPrefill(
  ctx: GpuContext,
  fusedDecode = false,
): Promise<{ maxDiff: number; meanDiff: number }> {
  const o: SyntheticOptions = {
    hidden: 128,
    intermediate: 160,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    vocab: 97,
    tied: true,
    mode: 'bitlinear',
    maxPositions: 1024,
    seed: 77,
  };
  // The bf16 table: the int8 one makes the first layer's input int8 codes times one scale, whose
  // quantization lands on rounding ties (k + 0.5) far more often than float noise would, and the
  // fused linears' absmax (an ulp apart from normQuantize.wgsl's) rounds those the other way: with
  // the int8 table they differ from prefill by up to 1.7 at 12 of 300 positions on an H200.
  const model = await BitNetModel.load(ctx, await openHuggingFaceCheckpoint(syntheticCheckpoint(o).files), {
    prefillChunk: 64,
    fusedDecode,
    embeddingFormat: 'bf16',
  });
  try {
    const rand = seededRandom(9);
    const ids = Array.from({ length: 300 }, () => Math.floor(rand() * o.vocab));
    model.reset();
    const last = await model.logits(ids, 'last');
    // 'last' runs the earlier chunks without an lm_head: same numbers as the last row of 'all'
    model.reset();
    const all = await model.logits(ids, 'all');
    check(
      last.every((v, i) => v === all[(ids.length - 1) * o.vocab + i]),
      "logits 'last' over 5 chunks differ from the last row of 'all'",
    );
    let max = 0;
    let sum = 0;
    for (let p = ids.length - 1; p >= 0; p--) {
      model.truncate(p);
      const one = await model.logits([ids[p]]);
      for (let i = 0; i < o.vocab; i++) {
        const d = Math.abs(one[i] - all[p * o.vocab + i]);
        max = Math.max(max, d);
        sum += d;
      }
    }
    const meanDiff = sum / (ids.length * o.vocab);
    check(
      max <= REFERENCE_TOLERANCE.maxDiff && meanDiff <= REFERENCE_TOLERANCE.meanDiff,
      `decode steps vs prefill logits${fusedDecode ? ' (fused decode linears)' : ''}: max |diff| ${max}, mean ${meanDiff}`,
    );
    return { maxDiff: max, meanDiff };
  } finally {
    model.dispose();
  }
}
