import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { directoryFiles } from '../src/node/fileSource.ts';
import { checkFixture } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';

export const FIXTURES = new URL('../../shared/fixtures/', import.meta.url).pathname;

for (const variant of ['packed', 'bf16']) {
  test(`tiny-a/${variant}: logits and greedy tokens match transformers`, async () => {
    const dir = `${FIXTURES}tiny-a/${variant}`;
    const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8'));
    await checkFixture(await testGpuContext(), { name: `tiny-a/${variant}`, files: directoryFiles(dir), expected }, (l) => console.log(`# ${l}`));
  });
}
