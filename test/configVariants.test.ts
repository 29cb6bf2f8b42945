import { test } from 'node:test';
import { CONFIG_VARIANTS, checkConfigVariant, checkDecodeMatchesPrefill } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';
import { check } from './check.ts';
import { fusedDecodeMissing } from '../src/model/modelKernels.ts';

for (const o of CONFIG_VARIANTS) {
  const { seed, ...shape } = o;
  test(`configuration ${JSON.stringify(shape)} matches the CPU reference`, async () => {
    const r = await checkConfigVariant(await testGpuContext(), o);
    const tie = r.roundedOtherWay;
    console.log(
      `# seed ${seed}: max ${r.maxDiff.toFixed(4)} mean ${r.meanDiff.toFixed(5)} top1 ${(r.top1Agreement * 100).toFixed(1)}% greedy ${r.greedyCompared}` +
        (tie ? ` (against the reference with ${tie.value} rounded the other way)` : ''),
    );
  });
}

for (const fused of [false, true]) {
  const what = fused ? 'the fused decode linears' : 'separate quantization and GEMV';
  test(`a decode step (${what}) over a prefill pass's cache gives that pass's logits, at each of 300 positions (attention split over key spans)`, async () => {
    const ctx = await testGpuContext();
    // both CI drivers have what the fused linears need: if detection broke, this says so
    check(
      !fused || fusedDecodeMissing(ctx.caps) === undefined,
      `${ctx.caps.adapterName} lacks ${fusedDecodeMissing(ctx.caps)}`,
    );
    const r = await checkDecodeMatchesPrefill(ctx, fused);
    console.log(`# decode vs prefill (${what}): max ${r.maxDiff.toFixed(4)} mean ${r.meanDiff.toFixed(5)}`);
  });
}
