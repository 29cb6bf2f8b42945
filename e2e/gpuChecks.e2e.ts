import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startRepoServer } from './browser.ts';

// BITNET_CHECKS_ON_GPU=1 runs the same suites headed on the machine's GPU (under
// tools/withXvfb.sh without a display): the kernels GPUs take (fused decode, attentionDecode),
// which SwiftShader in Chromium lacks the subgroup features for.
const onGpu = process.env.BITNET_CHECKS_ON_GPU === '1';
let browser: Browser;
let server: ViteDevServer;
let baseUrl: string;

before(async () => {
  ({ server, url: baseUrl } = await startRepoServer());
  browser = await launchChromium({ gpu: onGpu });
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
  if (onGpu) assert.doesNotMatch(adapter, /swiftshader/i, 'BITNET_CHECKS_ON_GPU: Chromium fell back to SwiftShader');
  assert.ok(results.length > 0, 'no checks ran');
  for (const r of results) assert.ok(r.ok, `${r.name}: ${r.error}`);
  await page.close();
}

test('BitLinear, attention and sampling kernel checks pass in Chromium', { timeout: 600_000 }, () =>
  runSuite('suite=kernels'),
);

test('whole models match transformers and the CPU reference in Chromium', { timeout: 600_000 }, () =>
  runSuite(`suite=models&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'every other family (llama + BitNet quantization, Falcon-E, use_rms_norm, 1bitLLM) matches transformers in Chromium',
  { timeout: 600_000 },
  () => runSuite(`suite=families&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'GGUF files (I2_S, TQ2_0) load through createEngine and match transformers in Chromium',
  { timeout: 600_000 },
  () => runSuite(`suite=gguf&fixtures=${encodeURIComponent('/test/fixtures/')}`),
);

test(
  'a lost device and an out-of-memory load give typed errors and the engine recovers, in Chromium',
  { timeout: 600_000 },
  () => runSuite('suite=failures'),
);
