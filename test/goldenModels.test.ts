import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { directoryFiles } from '../src/node/fileSource.ts';
import { FAMILY_FIXTURES, checkFixture, kernelChoices } from './modelChecks.ts';
import { defaultGemvLayout, defaultTernaryVariant } from '../src/kernels/ternaryMatmul.ts';
import { testGpuContext } from './gpuContext.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;

const GOLDEN: {
  name: string;
  dir: string;
  expected: string;
  /** 'default': the adapter's default kernels; 'first': the first of kernelChoices (the fused decode linears where the adapter has them, as GPUs run by default); else every choice. */
  kernels?: 'default' | 'first';
  embeddingFormat?: 'bf16';
}[] = [
  // seeded random weights, from test/fixtures/tiny-a (embedding table as in the checkpoint: see FixtureSet)
  {
    name: 'tiny-a/packed',
    dir: `${FIXTURES}tiny-a/packed`,
    expected: `${FIXTURES}tiny-a/packed/expected.json`,
    embeddingFormat: 'bf16',
  },
  {
    name: 'tiny-a/bf16',
    dir: `${FIXTURES}tiny-a/bf16`,
    expected: `${FIXTURES}tiny-a/bf16/expected.json`,
    embeddingFormat: 'bf16',
  },
  // the other families (docs/modelFamilies.md), seeded random weights written by
  // tools/fixtures/makeFamilyFixtures.py (test/fixtures/README.md); they check the architectures,
  // so one kernel choice (tiny-a covers every one), the one GPUs decode with, which halves their time
  ...FAMILY_FIXTURES.map((name) => ({
    name,
    dir: `${FIXTURES}${name}`,
    expected: `${FIXTURES}${name}/expected.json`,
    embeddingFormat: 'bf16' as const,
    kernels: 'first' as const,
  })),
  // the embedded default model (tools/train) as shipped, converted to our shards, against
  // transformers' output on the Hugging Face export, written at training time; with the default
  // int8 embedding table
  {
    name: 'bitnet-b1.58-en-11m',
    dir: `${root}public/models/bitnet-b1.58-en-11m`,
    expected: `${root}test/fixtures/bitnet-b1.58-en-11m/expected.json`,
    // larger: the adapter's default kernels only (tiny-a covers every kernel choice)
    kernels: 'default',
  },
];

for (const g of GOLDEN) {
  test(`${g.name}: logits and greedy tokens match transformers`, async () => {
    const expected = JSON.parse(readFileSync(g.expected, 'utf8'));
    const ctx = await testGpuContext();
    const choices =
      g.kernels === 'default'
        ? [{ variant: defaultTernaryVariant(ctx.caps), gemvLayout: defaultGemvLayout(ctx.caps) }]
        : g.kernels === 'first'
          ? kernelChoices(ctx).slice(0, 1)
          : kernelChoices(ctx);
    await checkFixture(
      ctx,
      { name: g.name, files: directoryFiles(g.dir), expected, embeddingFormat: g.embeddingFormat },
      (l) => console.log(`# ${l}`),
      choices,
    );
  });
}
