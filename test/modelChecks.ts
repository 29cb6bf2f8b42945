// Whole-model checks against Hugging Face transformers' outputs (../shared/fixtures), shared by
// the Node tests and the Chromium page. "Close" is defined in ../shared/fixtures/README.md.
import type { GpuContext } from '../src/gpu/context.ts';
import type { ModelFiles } from '../src/loader/byteSource.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import type { TernaryDotVariant } from '../src/kernels/ternaryMatmul.ts';
import { check } from './check.ts';

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
export async function checkGoldenCase(model: BitNetModel, c: ExpectedCase, what: string): Promise<GoldenReport> {
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
  check(maxDiff <= 1.5 && meanDiff <= 0.25, `${what}: last logits differ from transformers: max |diff| ${maxDiff.toFixed(3)} (<= 1.5), mean ${meanDiff.toFixed(3)} (<= 0.25)`);
  check(top1Agreement >= 0.9, `${what}: top-1 agrees with transformers at ${(top1Agreement * 100).toFixed(1)}% of positions (>= 90%)`);

  model.reset();
  const generated = await model.generateGreedy(c.input_ids, c.greedy_new_ids.length, { stopIds: [] });
  let compared = 0;
  for (let i = 0; i < c.greedy_new_ids.length; i++) {
    check(generated[i] === c.greedy_new_ids[i], `${what}: greedy token ${i} is ${generated[i]}, transformers gave ${c.greedy_new_ids[i]} (ours: ${generated}, theirs: ${c.greedy_new_ids})`);
    compared++;
    if (c.greedy_top2_margin[i] < 0.3) break; // past a near-tie either choice is right
  }
  return { maxDiff, meanDiff, top1Agreement, greedyCompared: compared };
}

export interface FixtureSet {
  name: string;
  files: ModelFiles;
  expected: { cases: ExpectedCase[] };
}

/** Loads the fixture model and checks every case, for each ternary kernel variant the adapter has. */
export async function checkFixture(ctx: GpuContext, fixture: FixtureSet, log: (line: string) => void = () => {}): Promise<void> {
  const source = await openHuggingFaceCheckpoint(fixture.files);
  const variants: TernaryDotVariant[] = ctx.caps.dot4I8Packed ? ['dot4', 'addsub'] : ['addsub'];
  for (const variant of variants) {
    // A chunk smaller than the longest prompt makes prefill run in several passes.
    const model = await BitNetModel.load(ctx, source, { variant, prefillChunk: 128 });
    try {
      for (const [i, c] of fixture.expected.cases.entries()) {
        const r = await checkGoldenCase(model, c, `${fixture.name} case ${i} (${variant})`);
        log(`${fixture.name} case ${i} ${variant}: max ${r.maxDiff.toFixed(3)} mean ${r.meanDiff.toFixed(4)} top1 ${(r.top1Agreement * 100).toFixed(1)}% greedy ${r.greedyCompared}/${c.greedy_new_ids.length}`);
      }
    } finally {
      model.dispose();
    }
  }
}
