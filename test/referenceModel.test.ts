// The CPU reference itself must agree with transformers (and, for 1bitLLM, with the oracle that
// reproduces its modeling code), or it could not vouch for the GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { directoryFiles } from '../src/node/fileSource.ts';
import { loadReferenceModel } from './reference/loadReference.ts';
import { referenceExpectations } from './reference/forward.ts';
import type { ExpectedCase } from './modelChecks.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;

const FOLDERS = [
  'tiny-a/packed',
  'tiny-a/bf16',
  'llama-bitnet-untied',
  'llama-bitnet-tied',
  'llama-bitnet-rmsnorm',
  'falcon-e',
  'bitnet-1bitllm',
];

for (const folder of FOLDERS) {
  test(`the CPU reference reproduces the fixture ${folder}`, async () => {
    const dir = `${FIXTURES}${folder}`;
    const cases: ExpectedCase[] = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')).cases;
    const ref = await loadReferenceModel(directoryFiles(dir));
    for (const [i, c] of cases.entries()) {
      const ours = referenceExpectations(ref, c.input_ids, c.greedy_new_ids.length);
      const diffs = ours.last_logits.map((v, k) => Math.abs(v - c.last_logits[k]));
      const max = Math.max(...diffs);
      const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
      const top1 = ours.top5_ids.filter((t, p) => t[0] === c.top5_ids[p][0]).length / c.input_ids.length;
      let greedy = 0;
      for (let s = 0; s < c.greedy_new_ids.length; s++) {
        assert.equal(ours.greedy_new_ids[s], c.greedy_new_ids[s], `case ${i}: greedy step ${s}`);
        greedy++;
        if (c.greedy_top2_margin[s] < 0.3) break;
      }
      console.log(
        `# case ${i}: max ${max.toFixed(3)} mean ${mean.toFixed(4)} top1 ${(top1 * 100).toFixed(1)}% greedy ${greedy}/${c.greedy_new_ids.length}`,
      );
      assert.ok(max <= 1.5 && mean <= 0.25, `case ${i}: max ${max}, mean ${mean}`);
      assert.ok(top1 >= 0.9, `case ${i}: top-1 agreement ${top1}`);
    }
  });
}
