// GGUF models end to end on the GPU: the tiny-a fixtures (test/fixtures/gguf) against transformers'
// outputs for tiny-a/packed (the weights they were written from), and a synthetic untied model
// against the CPU reference. The model is loaded straight from GgufTensorSource.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileSource } from '../src/node/fileSource.ts';
import { memorySource } from '../src/loader/byteSource.ts';
import { openGguf } from '../src/loader/gguf/ggufSource.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { defaultGemvLayout, defaultTernaryVariant } from '../src/kernels/ternaryMatmul.ts';
import { REFERENCE_TOLERANCE, checkGoldenCase, type ExpectedCase } from './modelChecks.ts';
import { referenceExpectations, type RefModel } from './reference/forward.ts';
import { syntheticCheckpoint } from './syntheticCheckpoint.ts';
import { seededRandom } from './random.ts';
import { testGpuContext } from './gpuContext.ts';
import { GGUF_FIXTURES, refModelGguf, storedScale } from './ggufModels.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;

for (const f of GGUF_FIXTURES) {
  test(`GGUF ${f.file}: logits and greedy tokens match transformers on tiny-a`, async () => {
    const expected: { cases: ExpectedCase[] } = JSON.parse(
      readFileSync(`${FIXTURES}tiny-a/packed/expected.json`, 'utf8'),
    );
    const ctx = await testGpuContext();
    const { source } = await openGguf(fileSource(`${FIXTURES}gguf/${f.file}`));
    // bf16 table: random weights amplify the int8 table's rounding (see test/modelChecks.ts FixtureSet)
    const model = await BitNetModel.load(ctx, source, {
      variant: defaultTernaryVariant(ctx.caps),
      gemvLayout: defaultGemvLayout(ctx.caps),
      prefillChunk: 128,
      embeddingFormat: 'bf16',
    });
    try {
      for (const [i, c] of expected.cases.entries()) {
        const r = await checkGoldenCase(model, c, `${f.file} case ${i}`);
        console.log(
          `# ${f.file} case ${i}: max ${r.maxDiff.toFixed(3)} mean ${r.meanDiff.toFixed(4)} top1 ${(r.top1Agreement * 100).toFixed(1)}%`,
        );
      }
    } finally {
      model.dispose();
    }
  });
}

test('GGUF: an untied TQ1_0 model with F16 fallbacks matches the CPU reference', async () => {
  const o = {
    hidden: 256,
    intermediate: 320,
    layers: 2,
    heads: 4,
    kvHeads: 1,
    vocab: 301,
    tied: false,
    mode: 'bitlinear' as const,
    seed: 41,
  };
  const checkpoint = syntheticCheckpoint(o);
  const { ref } = checkpoint;
  const bytes = refModelGguf(checkpoint, { arch: 'bitnet-b1.58', linear: 'TQ1_0' });
  // the reference with the scales as the file stores them (half precision)
  const stored: RefModel = {
    ...ref,
    layers: ref.layers.map((l) => {
      const out = { ...l };
      for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
        const type = l[k].cols % 256 === 0 ? 'TQ1_0' : 'F16';
        out[k] = { ...l[k], divisor: Math.fround(1 / storedScale(type, l[k].divisor)) };
      }
      return out;
    }),
  };
  const rand = seededRandom(42);
  const prompt = Array.from({ length: 40 }, () => Math.floor(rand() * o.vocab));
  const expected = referenceExpectations(stored, prompt, 8);
  const ctx = await testGpuContext();
  const model = await BitNetModel.load(ctx, (await openGguf(memorySource('synthetic.gguf', bytes))).source, {
    prefillChunk: 16,
    embeddingFormat: 'bf16',
  });
  try {
    await checkGoldenCase(model, expected, 'synthetic GGUF', REFERENCE_TOLERANCE);
  } finally {
    model.dispose();
  }
});
