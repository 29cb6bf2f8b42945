// In Node, remote models load through a cache directory on disk: a Hugging Face checkpoint by URL
// is converted once, and a later engine reads it from the cache without fetching weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, deleteCachedModel, directoryStore, listCachedModels } from '../src/node/index.ts';
import { temporaryDirectory } from './modelFolders.ts';
import { openModel, type OpenProgress } from '../src/loader/openModel.ts';
import { modelFilesFor } from '../src/engine/modelLocation.ts';
import { tensorPlan } from '../src/model/tensorPlan.ts';
import { ModelFilesServer, type ServedFiles } from '../e2e/modelFilesServer.ts';
import { testGpuContext } from './gpuContext.ts';

const files = new ModelFilesServer();
let server: ServedFiles;
let base: string;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'bitnet-cache-'));

before(async () => {
  server = await files.listen();
  base = server.url;
});
after(() => {
  server?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function firstTokens(model: string): Promise<number[]> {
  const engine = await createEngine({ model, gpu: await testGpuContext(), store: directoryStore(cacheDir) });
  try {
    const out: number[] = [];
    for await (const c of engine.generate({ prompt: 'The jury said that', max_tokens: 3, temperature: 0 }))
      if (c.token !== null) out.push(c.token);
    return out;
  } finally {
    engine.dispose();
  }
}

test('a Hugging Face checkpoint URL is converted into the cache directory once', async () => {
  const url = `${base}/hf/test-org/en-11m/resolve/main/`;
  files.requests.length = 0;
  const first = await firstTokens(url);
  assert.ok(files.requests.some((r) => r.startsWith('GET') && r.includes('model.safetensors')));
  assert.ok(
    readdirSync(cacheDir).some((f) => f.includes('shard-00000.bin')),
    'shards written to the cache directory',
  );
  files.requests.length = 0;
  assert.deepEqual(await firstTokens(url), first);
  assert.deepEqual(
    files.requests.filter((r) => r.startsWith('GET') && r.includes('safetensors')),
    [],
    'no weights fetched the second time',
  );
});

test('a converted model URL downloads each shard once into the cache directory', async () => {
  const url = `${base}/served/en-11m/`;
  files.requests.length = 0;
  const first = await firstTokens(url);
  const shards = JSON.parse(
    readFileSync(new URL('../public/models/bitnet-b1.58-en-11m/manifest.json', import.meta.url), 'utf8'),
  ).shards.length;
  assert.equal(files.shardRequests().length, shards);
  files.requests.length = 0;
  assert.deepEqual(await firstTokens(url), first);
  assert.deepEqual(files.shardRequests(), []);
});

const shardNames: string[] = JSON.parse(
  readFileSync(new URL('../public/models/bitnet-b1.58-en-11m/manifest.json', import.meta.url), 'utf8'),
).shards.map((s: { file: string }) => s.file);

async function loadInto(model: string, dir: string): Promise<void> {
  (await createEngine({ model, gpu: await testGpuContext(), store: directoryStore(dir) })).dispose();
}

/** What a load does with the cache, without the GPU: fetch or find every file, then read every tensor. */
async function readThroughCache(model: string, dir: string): Promise<void> {
  const { source } = await openModel(modelFilesFor(model), { store: directoryStore(dir), cacheKey: model });
  for (const r of tensorPlan(source.config)) {
    if (r.kind === 'vector') await source.vector(r.name, r.rows);
    else if (r.kind === 'bf16') await source.bf16Matrix(r.name, r.rows, r.cols);
    else await source.ternary(r.name, r.rows, r.cols);
  }
}

test(
  'shard bodies longer than the manifest says, or endless, are cut off there and refused; an endless text file at 64 MiB',
  { timeout: 60_000 },
  async () => {
    const url = `${base}/served/en-11m/`;
    try {
      for (const mode of ['oversize', 'endless'] as const) {
        files.faults.set(shardNames[1], { mode });
        files.endlessBytesSent = 0;
        const dir = temporaryDirectory();
        await assert.rejects(loadInto(url, dir), {
          name: 'IntegrityError',
          message: new RegExp(
            `${shardNames[1]}: more than the \\d+ bytes the manifest says \\(reading stopped there\\) twice`,
          ),
        });
        assert.ok(!readdirSync(dir).some((f) => f.includes(shardNames[1])), 'the refused shard was cached');
        assert.ok(files.endlessBytesSent < 32 * 2 ** 20, `${files.endlessBytesSent} bytes sent of the endless body`);
      }
      files.faults.clear();
      files.faults.set('tokenizer.json', { mode: 'endless' });
      await assert.rejects(loadInto(url, temporaryDirectory()), {
        name: 'ModelFormatError',
        message: /tokenizer\.json: larger than 67108864 bytes/,
      });
    } finally {
      files.faults.clear();
    }
  },
);

test('a GGUF file by URL is converted into the cache once, with the tokenizer files written from its metadata', async () => {
  const url = `${base}/hf/test-org/tiny-a-gguf/resolve/main/tiny-a-i2_s.gguf`;
  const dir = temporaryDirectory();
  files.requests.length = 0;
  const progress: OpenProgress[] = [];
  await openModel(modelFilesFor(url), {
    store: directoryStore(dir),
    cacheKey: url,
    onProgress: (p) => progress.push(p),
  });
  assert.ok(files.requests.some((r) => r === 'GET /hf/test-org/tiny-a-gguf/resolve/main/tiny-a-i2_s.gguf'));
  // the same phases as a safetensors checkpoint: tensors converted, one report each
  assert.ok(progress.length > 0 && progress.every((p) => p.phase === 'convert'));
  assert.deepEqual(progress.at(-1), { phase: 'convert', done: progress.length, total: progress.length });
  await readThroughCache(url, dir);
  files.requests.length = 0;
  const { source, readTokenizerFile } = await openModel(modelFilesFor(url), {
    store: directoryStore(dir),
    cacheKey: url,
  });
  assert.deepEqual(files.requests, [], 'nothing fetched the second time');
  assert.equal(source.config.vocabSize, 1024);
  const tokenizer = JSON.parse((await readTokenizerFile('tokenizer.json'))!);
  assert.equal(Object.keys(tokenizer.model.vocab).length + tokenizer.added_tokens.length, 1024);
  assert.ok(JSON.parse((await readTokenizerFile('tokenizer_config.json'))!));
  assert.deepEqual(
    (await listCachedModels(directoryStore(dir))).map((m) => [m.model, m.complete]),
    [[url, true]],
  );
});

test('a model URL too long for a file name is cached under its hash, listed and deleted like any other', async () => {
  const url = `${base}/served/${'a-long-mirror-path-'.repeat(12)}/en-11m/`;
  const dir = temporaryDirectory();
  await readThroughCache(url, dir);
  assert.ok(
    readdirSync(dir).some((f) => f.startsWith('#')),
    'hashed names written',
  );
  files.requests.length = 0;
  await readThroughCache(url, dir);
  assert.equal(
    files.requests.filter((r) => r.startsWith('GET') && r.includes('shard-')).length,
    0,
    'shards came from the cache',
  );
  const store = directoryStore(dir);
  assert.deepEqual(
    (await listCachedModels(store)).map((m) => [m.model, m.complete]),
    [[url, true]],
  );
  await deleteCachedModel(url, store);
  assert.deepEqual(readdirSync(dir), []);
});

test('a damaged cache: a cached manifest that is not JSON, a shard with a changed byte, a shard overwritten by a huge file', async () => {
  const hfUrl = `${base}/hf/test-org/en-11m/resolve/main/`;
  const hfDir = temporaryDirectory();
  await readThroughCache(hfUrl, hfDir);
  const cachedManifest = path.join(
    hfDir,
    readdirSync(hfDir).find((f) => f.endsWith('manifest.json'))!,
  );
  writeFileSync(cachedManifest, '{"format":');
  await assert.rejects(readThroughCache(hfUrl, hfDir), {
    name: 'ModelFormatError',
    message: /^cached manifest\.json of http:.*: not valid JSON/,
  });
  // grown past any text file (100 MiB, sparse): not read, so the checkpoint is converted again
  truncateSync(cachedManifest, 100 * 2 ** 20);
  await readThroughCache(hfUrl, hfDir);
  assert.ok(statSync(cachedManifest).size < 2 ** 20);

  const url = `${base}/served/en-11m/`;
  const dir = temporaryDirectory();
  await readThroughCache(url, dir);
  const cachedShard = path.join(
    dir,
    readdirSync(dir).find((f) => f.includes(shardNames[2]))!,
  );
  const bytes = readFileSync(cachedShard);
  bytes[100] ^= 1;
  writeFileSync(cachedShard, bytes);
  await assert.rejects(readThroughCache(url, dir), {
    name: 'IntegrityError',
    message: new RegExp(
      `^cached ${shardNames[2]} of ${url}: SHA-256 does not match the manifest; delete the model from the cache`,
    ),
  });
  // 3 GiB (sparse): not read, fetched again from the server
  truncateSync(cachedShard, 3 * 2 ** 30);
  files.requests.length = 0;
  const t0 = performance.now();
  await readThroughCache(url, dir);
  assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
  assert.deepEqual(files.shardRequests(), [shardNames[2]]);
  assert.equal(statSync(cachedShard).size, bytes.length);
});
