// In Node, remote models load through a cache directory on disk: a Hugging Face checkpoint by URL
// is converted once, and a later engine reads it from the cache without fetching weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, directoryStore } from '../src/node/index.ts';
import { ModelFilesServer } from '../e2e/modelFilesServer.ts';
import { testGpuContext } from './gpuContext.ts';

const files = new ModelFilesServer();
let server: Server;
let base: string;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'bitnet-cache-'));

before(async () => {
  server = createServer((req, res) => files.handle(req, res, () => {
    res.statusCode = 404;
    res.end();
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function firstTokens(model: string): Promise<number[]> {
  const engine = await createEngine({ model, gpu: await testGpuContext(), store: directoryStore(cacheDir) });
  try {
    const out: number[] = [];
    for await (const c of engine.generate({ prompt: 'The jury said that', max_tokens: 3, temperature: 0 })) if (c.token !== null) out.push(c.token);
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
  assert.ok(readdirSync(cacheDir).some((f) => f.includes('shard-00000.bin')), 'shards written to the cache directory');
  files.requests.length = 0;
  assert.deepEqual(await firstTokens(url), first);
  assert.deepEqual(files.requests.filter((r) => r.startsWith('GET') && r.includes('safetensors')), [], 'no weights fetched the second time');
});

test('a converted model URL downloads each shard once into the cache directory', async () => {
  const url = `${base}/served/en-11m/`;
  files.requests.length = 0;
  const first = await firstTokens(url);
  const shards = JSON.parse(readFileSync(new URL('../public/models/bitnet-b1.58-en-11m/manifest.json', import.meta.url), 'utf8')).shards.length;
  assert.equal(files.shardRequests().length, shards);
  files.requests.length = 0;
  assert.deepEqual(await firstTokens(url), first);
  assert.deepEqual(files.shardRequests(), []);
});
