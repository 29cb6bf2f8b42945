import { test } from 'node:test';
import { CONFIG_VARIANTS, checkConfigVariant, checkDecodeMatchesPrefill } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';

for (const o of CONFIG_VARIANTS) {
  const { seed, ...shape } = o;
  test(`configuration ${JSON.stringify(shape)} matches the CPU reference`, async () => {
    const r = await checkConfigVariant(await testGpuContext(), o);
    console.log(
      `# seed ${seed}: max ${r.maxDiff.toFixed(4)} mean ${r.meanDiff.toFixed(5)} top1 ${(r.top1Agreement * 100).toFixed(1)}% greedy ${r.greedyCompared}`,
    );
  });
}

test('decoding token by token gives the logits of one prefill pass (300 tokens, attention split over key spans)', async () => {
  const r = await checkDecodeMatchesPrefill(await testGpuContext());
  console.log(`# decode vs prefill: max ${r.maxDiff.toFixed(4)} mean ${r.meanDiff.toFixed(5)}`);
});
