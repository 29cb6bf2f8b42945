// GGUF models end to end through createEngine: the tiny-a fixtures (test/fixtures/gguf) against
// transformers' outputs for tiny-a/packed (the weights they were written from). I2_S is read in
// place from disk; TQ2_0 over HTTP by its Hugging Face spelling, converted into a cache directory.
// TQ1_0 decodes to the same shards as TQ2_0 (test/ggufFixtures.test.ts), so it needs no GPU run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createEngine, directoryStore, listCachedModels, type Engine } from '../src/node/index.ts';
import { checkLoadedFixture, type ExpectedCase } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';
import { temporaryDirectory } from './modelFolders.ts';
import { ModelFilesServer } from '../e2e/modelFilesServer.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;
const expected: { cases: ExpectedCase[] } = JSON.parse(readFileSync(`${FIXTURES}tiny-a/packed/expected.json`, 'utf8'));

const files = new ModelFilesServer();
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) =>
    files.handle(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
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
