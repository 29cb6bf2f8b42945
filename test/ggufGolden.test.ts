// GGUF models end to end through createEngine: the tiny-a fixtures (test/fixtures/gguf) against
// transformers' outputs for tiny-a/packed (the weights they were written from). I2_S is read in
// place from disk; TQ2_0 over HTTP by its Hugging Face spelling, converted into a cache directory.
// TQ1_0 decodes to the same shards as TQ2_0 (test/ggufFixtures.test.ts), so it needs no GPU run.
// Then the llama and upstream bitnet architectures, written from family fixtures at test time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createEngine, directoryStore, listCachedModels, type Engine } from '../src/node/index.ts';
import { checkFixture, checkLoadedFixture, type ExpectedCase } from './modelChecks.ts';
import { directoryFiles } from '../src/node/fileSource.ts';
import { memorySource, singleFileModel } from '../src/loader/byteSource.ts';
import { defaultGemvLayout, defaultTernaryVariant } from '../src/kernels/ternaryMatmul.ts';
import { loadReferenceModel } from './reference/loadReference.ts';
import { refModelGguf, type GgufModelOptions } from './ggufModels.ts';
import { testGpuContext } from './gpuContext.ts';
import { temporaryDirectory } from './modelFolders.ts';
import { ModelFilesServer, type ServedFiles } from '../e2e/modelFilesServer.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;
const expected: { cases: ExpectedCase[] } = JSON.parse(readFileSync(`${FIXTURES}tiny-a/packed/expected.json`, 'utf8'));

const files = new ModelFilesServer();
let server: ServedFiles;
let base: string;

before(async () => {
  server = await files.listen();
  base = server.url;
});
after(() => server?.close());

/** Every golden case on the engine's model, and its tokenizer (from the GGUF metadata) at work. */
async function checkEngine(engine: Engine, name: string): Promise<void> {
  // BOS first, as the metadata says
  assert.deepEqual(engine.tokenizer.encode('Once upon a time').slice(0, 1), [1]);
  await checkLoadedFixture(engine, { name, expected }, (l) => console.log(`# ${l}`));
}

// bf16 table: random weights amplify the int8 table's rounding (see test/modelChecks.ts FixtureSet)
test('createEngine on tiny-a-i2_s.gguf (a path on disk): logits and greedy tokens match transformers', async () => {
  const engine = await createEngine({
    model: `${FIXTURES}gguf/tiny-a-i2_s.gguf`,
    gpu: await testGpuContext(),
    embeddingFormat: 'bf16',
  });
  await checkEngine(engine, 'tiny-a-i2_s.gguf');
});

test('createEngine on tiny-a-tq2_0.gguf (a URL, converted into the cache): logits and greedy tokens match transformers', async () => {
  const store = directoryStore(temporaryDirectory());
  const model = `${base}/hf/test-org/tiny-a-gguf/resolve/main/tiny-a-tq2_0.gguf`;
  const engine = await createEngine({ model, gpu: await testGpuContext(), store, embeddingFormat: 'bf16' });
  assert.deepEqual(
    (await listCachedModels(store)).map((m) => [m.model, m.complete]),
    [[model, true]],
    'the converted model is in the cache directory, complete',
  );
  await checkEngine(engine, 'tiny-a-tq2_0.gguf');
});

/**
 * A family fixture written as the GGUF file llama.cpp's converter would make of it (test/ggufModels.ts),
 * at test time, then loaded through the pipeline (openModel, read in place) and checked against
 * transformers' outputs: `llama` files have their Q and K rows permuted, upstream `bitnet` files
 * without hidden_activation are SiLU.
 */
async function checkFamilyGguf(fixture: string, options: GgufModelOptions): Promise<void> {
  const dir = `${FIXTURES}${fixture}`;
  const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  const ref = await loadReferenceModel(directoryFiles(dir));
  const name = `${fixture}-${options.arch}-${options.linear}.gguf`;
  const files = singleFileModel(memorySource(name, refModelGguf({ ref, config }, options)), name);
  const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8'));
  const ctx = await testGpuContext();
  await checkFixture(ctx, { name, files, expected, embeddingFormat: 'bf16' }, (l) => console.log(`# ${l}`), [
    { variant: defaultTernaryVariant(ctx.caps), gemvLayout: defaultGemvLayout(ctx.caps) },
  ]);
}

test('a llama GGUF (I2_S, Q and K rows permuted) of the falcon-e fixture matches transformers', () =>
  checkFamilyGguf('falcon-e', { arch: 'llama', linear: 'I2_S' }));

test("an upstream bitnet GGUF without hidden_activation (SiLU, F16 linears) of 1bitLLM's fixture matches transformers", () =>
  checkFamilyGguf('bitnet-1bitllm', {
    arch: 'bitnet',
    linear: 'F16',
    metadata: { 'bitnet.hidden_activation': null },
  }));
