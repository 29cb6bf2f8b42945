import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startRepoServer } from './browser.ts';

let browser: Browser;
let server: ViteDevServer;
let baseUrl: string;

before(async () => {
  ({ server, url: baseUrl } = await startRepoServer());
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function runSuite(query: string): Promise<void> {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`# [page ${m.type()}] ${m.text()}`));
  await page.goto(`${baseUrl}/e2e/pages/checks.html?${query}`);
  await page.waitForFunction(() => window.checkResults || window.checkFailure, undefined, { timeout: 580_000 });
  const failure = await page.evaluate(() => window.checkFailure);
  assert.equal(failure, undefined, `the check page failed: ${failure}`);
  const { adapter, results } = (await page.evaluate(() => window.checkResults))!;
  console.log(`# Chromium adapter: ${adapter}`);
  assert.ok(results.length > 0, 'no checks ran');
  for (const r of results) assert.ok(r.ok, `${r.name}: ${r.error}`);
  await page.close();
}

test('BitLinear and sampling kernel checks pass in headless Chromium (SwiftShader WebGPU)', { timeout: 600_000 }, () =>
  runSuite('suite=kernels'),
);

test('whole models match transformers and the CPU reference in headless Chromium', { timeout: 600_000 }, () =>
  runSuite(`suite=models&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'every other family (llama + BitNet quantization, Falcon-E, use_rms_norm, 1bitLLM) matches transformers in headless Chromium',
  { timeout: 600_000 },
  () => runSuite(`suite=families&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'GGUF files (I2_S, TQ2_0) load through createEngine and match transformers in headless Chromium',
  { timeout: 600_000 },
  () => runSuite(`suite=gguf&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'a lost device and an out-of-memory load give typed errors and the engine recovers, in headless Chromium',
  { timeout: 600_000 },
  () => runSuite('suite=failures'),
);
