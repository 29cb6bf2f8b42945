// Loading models in headless Chromium through the IndexedDB cache, against a local server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startRepoServer } from './browser.ts';
import { ModelFilesServer } from './modelFilesServer.ts';

const files = new ModelFilesServer();
const manifest = JSON.parse(
  readFileSync(new URL('../public/models/bitnet-b1.58-en-11m/manifest.json', import.meta.url), 'utf8'),
);
const shardNames: string[] = manifest.shards.map((s: { file: string }) => s.file);
const MODEL = '/served/en-11m/';
let browser: Browser;
let server: ViteDevServer;
let baseUrl: string;

before(async () => {
  ({ server, url: baseUrl } = await startRepoServer(files.handle));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/e2e/pages/cache.html`);
  await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady);
  return page;
}

type LoadResult = {
  ok: boolean;
  error?: { name: string; message: string };
  progress: { phase: string; done: number; total: number; unit: string; fraction: number }[];
  logits?: number[];
};
function load(page: Page, model: string, options: { abortAfterMs?: number; ids?: number[] } = {}): Promise<LoadResult> {
  return page.evaluate(
    ([m, o]) => (window as unknown as { load: (m: string, o: object) => Promise<LoadResult> }).load(m, o),
    [model, options] as const,
  );
}

function sortedCount(names: string[]): Record<string, number> {
  return Object.fromEntries([...new Set(names)].sort().map((n) => [n, names.filter((x) => x === n).length]));
}

test(
  'first load fetches every shard once with monotonic progress; a reload fetches no weights',
  { timeout: 300_000 },
  async () => {
    const context = await browser.newContext();
    try {
      files.requests.length = 0;
      const first = await load(await openPage(context), MODEL);
      assert.ok(first.ok, JSON.stringify(first.error));
      assert.deepEqual(sortedCount(files.shardRequests()), Object.fromEntries(shardNames.map((n) => [n, 1])));
      const download = first.progress.filter((p) => p.phase === 'download');
      assert.ok(
        download.every((p, i) => i === 0 || p.done >= download[i - 1].done),
        'download progress went backwards',
      );
      assert.equal(download.at(-1)!.done, download.at(-1)!.total);
      for (const phase of ['verify', 'upload', 'compile', 'warmup']) {
        assert.ok(
          first.progress.some((p) => p.phase === phase && p.done === p.total),
          `${phase} progress reached 100%`,
        );
      }
      assert.ok(
        first.progress.every((p, i) => i === 0 || p.fraction >= first.progress[i - 1].fraction),
        'the overall fraction went backwards',
      );
      assert.equal(first.progress.at(-1)!.fraction, 1);
      files.requests.length = 0;
      const page = await openPage(context); // a reload: same browser profile, a new page
      const again = await load(page, MODEL);
      assert.ok(again.ok, JSON.stringify(again.error));
      assert.deepEqual(files.shardRequests(), [], 'the reload requested weights');
      const cached = await page.evaluate(() =>
        (
          window as unknown as {
            listCachedModels: () => Promise<{ model: string; bytes: number; complete: boolean }[]>;
          }
        ).listCachedModels(),
      );
      assert.equal(cached.length, 1);
      assert.ok(
        cached[0].complete &&
          cached[0].bytes >= manifest.shards.reduce((n: number, s: { bytes: number }) => n + s.bytes, 0),
      );
    } finally {
      await context.close();
    }
  },
);

test('a load killed half-way resumes: only the missing shards are fetched', { timeout: 300_000 }, async () => {
  const context = await browser.newContext();
  try {
    const slow = shardNames.slice(2);
    for (const f of slow) files.faults.set(f, { mode: 'delay', ms: 4000 });
    const killed = await load(await openPage(context), MODEL, { abortAfterMs: 1500 });
    assert.equal(killed.ok, false);
    assert.equal(killed.error?.name, 'BitNetError', JSON.stringify(killed.error));
    files.faults.clear();
    files.requests.length = 0;
    const resumed = await load(await openPage(context), MODEL);
    assert.ok(resumed.ok, JSON.stringify(resumed.error));
    assert.deepEqual(files.shardRequests().sort(), slow);
  } finally {
    files.faults.clear();
    await context.close();
  }
});

test(
  'a shard with a flipped byte is rejected and fetched again; a 404 or truncated shard gives a clear error and the cache stays usable',
  { timeout: 300_000 },
  async () => {
    const context = await browser.newContext();
    try {
      files.faults.set(shardNames[1], { mode: 'flip-once' });
      files.requests.length = 0;
      const page = await openPage(context);
      const flipped = await load(page, MODEL);
      assert.ok(flipped.ok, JSON.stringify(flipped.error));
      assert.equal(files.shardRequests().filter((n) => n === shardNames[1]).length, 2);
      await page.evaluate(() => (window as unknown as { clearModelCache: () => Promise<void> }).clearModelCache());

      files.faults.set(shardNames[2], { mode: '404' });
      const missing = await load(page, MODEL);
      assert.equal(missing.ok, false);
      assert.equal(missing.error?.name, 'FetchError');
      assert.match(missing.error!.message, new RegExp(`${shardNames[2]}: HTTP 404`));
      files.faults.set(shardNames[2], { mode: 'truncate' });
      const truncated = await load(page, MODEL);
      assert.equal(truncated.ok, false);
      assert.equal(truncated.error?.name, 'IntegrityError');
      assert.match(truncated.error!.message, /truncated\?\) twice/);
      files.faults.clear();
      files.requests.length = 0;
      const fixed = await load(page, MODEL);
      assert.ok(fixed.ok, JSON.stringify(fixed.error));
      assert.deepEqual(files.shardRequests(), [shardNames[2]], 'only the shard that failed is fetched again');
    } finally {
      files.faults.clear();
      await context.close();
    }
  },
);

test(
  'a Hugging Face checkpoint loaded by URL gives the logits of the converted shards',
  { timeout: 300_000 },
  async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      const ids = [0, 340, 444, 1268, 623, 328];
      const converted = await load(page, MODEL, { ids });
      const hf = await load(page, `${baseUrl}/hf/test-org/en-11m/resolve/main/`, { ids });
      assert.ok(converted.ok && hf.ok, JSON.stringify([converted.error, hf.error]));
      assert.deepEqual(hf.logits, converted.logits);
      files.requests.length = 0;
      const again = await load(page, `${baseUrl}/hf/test-org/en-11m/resolve/main/`, { ids });
      assert.ok(again.ok);
      assert.deepEqual(
        files.requests.filter((r) => r.includes('model.safetensors') && r.startsWith('GET')),
        [],
        'the converted checkpoint came from the cache',
      );
    } finally {
      await context.close();
    }
  },
);

test(
  'a model on another origin without CORS, an unreachable server and an offline browser each get a message that says so',
  { timeout: 300_000 },
  async () => {
    const { createServer } = await import('node:http');
    const modelDir = new URL('../public/models/bitnet-b1.58-en-11m/', import.meta.url);
    // Another origin (another port) serving the real files, without Access-Control-Allow-Origin
    const foreign = createServer((req, res) => {
      try {
        res.end(readFileSync(new URL(`.${new URL(req.url ?? '/', 'http://x').pathname}`, modelDir)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    const port = (foreign.address() as { port: number }).port;
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      const cors = await load(page, `http://127.0.0.1:${port}/`);
      assert.equal(cors.error?.name, 'FetchError', JSON.stringify(cors));
      assert.match(
        cors.error!.message,
        /does not allow cross-origin requests \(CORS\) from http:\/\/127\.0\.0\.1:\d+: it must send Access-Control-Allow-Origin/,
      );
      await new Promise((r) => foreign.close(r));
      const unreachable = await load(page, `http://127.0.0.1:${port}/`);
      assert.match(unreachable.error?.message ?? '', /the server could not be reached/, JSON.stringify(unreachable));
      await context.setOffline(true);
      const offline = await load(page, `${baseUrl}/served/never-cached/`);
      assert.match(offline.error?.message ?? '', /the browser is offline/, JSON.stringify(offline));
    } finally {
      foreign.close();
      await context.close();
    }
  },
);
