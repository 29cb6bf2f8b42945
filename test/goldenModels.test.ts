import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { directoryFiles } from '../src/node/fileSource.ts';
import { checkFixture } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;

const GOLDEN = [
  // seeded random weights, from ../shared/fixtures
  { name: 'tiny-a/packed', dir: `${FIXTURES}tiny-a/packed`, expected: `${FIXTURES}tiny-a/packed/expected.json` },
  { name: 'tiny-a/bf16', dir: `${FIXTURES}tiny-a/bf16`, expected: `${FIXTURES}tiny-a/bf16/expected.json` },
  // the embedded default model (tools/train), against transformers' output written at training time
  {
    name: 'bitnet-b1.58-en-11m',
    dir: `${root}public/models/bitnet-b1.58-en-11m`,
    expected: `${root}test/fixtures/bitnet-b1.58-en-11m/expected.json`,
  },
];

for (const g of GOLDEN) {
  test(`${g.name}: logits and greedy tokens match transformers`, async () => {
    const expected = JSON.parse(readFileSync(g.expected, 'utf8'));
    await checkFixture(await testGpuContext(), { name: g.name, files: directoryFiles(g.dir), expected }, (l) => console.log(`# ${l}`));
  });
}
