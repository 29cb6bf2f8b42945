// The chat demo as a person uses it, in headless Chromium (SwiftShader WebGPU).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page, Worker } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDemoServer, SCREENSHOTS } from './browser.ts';

let browser: Browser;
let server: ViteDevServer;
let baseUrl: string;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ server, url: baseUrl } = await startDemoServer());
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function waitForModel(page: Page): Promise<void> {
  await page.getByTestId('prompt').waitFor({ state: 'visible', timeout: 180_000 });
}

/** The worker that holds the engine (the demo starts one). */
function engineWorker(page: Page): Worker {
  const [worker] = page.workers();
  assert.ok(worker, 'the demo runs its engine in a worker');
  return worker;
}

/** Until the page shows `count` replies and the last one has finished (Send is enabled again). */
async function waitForReplies(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message-assistant]').length === n, count);
  await page.waitForFunction(() => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false, undefined, { timeout: 300_000 });
}

async function assistantTexts(page: Page): Promise<string[]> {
  return page.getByTestId('message-assistant').locator('.body').allTextContents();
}

test('chat: the default model loads, a reply streams token by token, stops, and the next turn works; a reload loads from the cache', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(baseUrl);
  await page.getByTestId('load-progress').waitFor({ state: 'visible' });
  await waitForModel(page);
  await page.locator('.settings summary').click();
  await page.locator('#max-tokens').fill('60');
  await page.locator('#seed').fill('5');
  await page.getByTestId('prompt').fill('The old man walked into the');
  await page.getByTestId('prompt').press('Enter');
  // the reply grows over time: once its first token shows, sample its length every 50 ms until it
  // has grown twice more (a reply shown all at once never does), for at most 10 s
  await page.waitForFunction(() => (document.querySelector('[data-testid=message-assistant] .body')?.textContent ?? '').length > 0, undefined, { timeout: 180_000 });
  const lengths: number[] = [];
  const growths = () => lengths.filter((l, i) => i > 0 && l > lengths[i - 1]).length;
  for (let i = 0; i < 200 && growths() < 2; i++) {
    lengths.push(((await assistantTexts(page))[0] ?? '').length);
    await page.waitForTimeout(50);
  }
  assert.ok(growths() >= 2, `the reply did not grow in steps: ${lengths.join(',')}`);
  await page.getByTestId('stop').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false);
  assert.equal(await page.getByTestId('stop').isDisabled(), true);
  const stopped = (await assistantTexts(page))[0];
  assert.ok(stopped.length > 0, 'the stopped reply keeps its text');
  await page.screenshot({ path: `${SCREENSHOTS}demo-stopped.png`, fullPage: true });

  await page.getByTestId('prompt').fill(' and then');
  await page.getByTestId('send').click();
  await waitForReplies(page, 2);
  const second = (await assistantTexts(page))[1];
  assert.ok(second.trim().length > 0, 'the second reply is empty');
  assert.match((await page.getByTestId('stats').textContent()) ?? '', /Time to first token \d+ ms · prefill \d+ tok\/s · decode [\d.]+ tok\/s · \d+ tokens · google swiftshader/);
  await page.screenshot({ path: `${SCREENSHOTS}demo-chat.png`, fullPage: true });

  // reload: the weights come from IndexedDB, no shard is requested
  const weightRequests: string[] = [];
  page.on('request', (r) => r.url().includes('shard-') && weightRequests.push(r.url()));
  await page.reload();
  await waitForModel(page);
  assert.deepEqual(weightRequests, []);
  // the demo lists the cache after the model is ready, without holding up the chat
  await page.locator('#cache-list li').first().waitFor({ timeout: 10_000 });
  assert.match((await page.locator('#cache-list').textContent()) ?? '', /bitnet-b1\.58-en-11m\/ — 5\.\d MB/);
  await page.screenshot({ path: `${SCREENSHOTS}demo-reloaded.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('model output and names are shown as text, never as HTML', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await waitForModel(page);
  await page.locator('.settings summary').click();
  await page.locator('#max-tokens').fill('8');
  const attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  await page.getByTestId('prompt').fill(attack);
  await page.getByTestId('prompt').press('Enter');
  await waitForReplies(page, 1);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('#messages img, #messages script').count(), 0);
  assert.equal(await page.locator('#messages li.user .body').first().textContent(), attack);

  // The model's own reply: every chunk the engine worker sends is rewritten to carry the attack.
  // Every reply has at least its closing chunk, so this holds even when the sampled reply is empty.
  await engineWorker(page).evaluate((text) => {
    const post = self.postMessage.bind(self);
    self.postMessage = (m: { type: string; chunk?: { text?: string; choices?: { delta: { content?: string } }[] } }) => {
      if (m.type === 'chunk' && m.chunk?.choices) m.chunk.choices[0].delta.content = text;
      else if (m.type === 'chunk' && m.chunk) m.chunk.text = text;
      post(m);
    };
  }, attack);
  await page.getByTestId('prompt').fill('Tell me more');
  await page.getByTestId('prompt').press('Enter');
  await waitForReplies(page, 2);
  assert.ok(((await assistantTexts(page))[1] ?? '').startsWith(attack), 'the reply carries the attack as text');
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('#messages img, #messages script').count(), 0);
  await context.close();
});

test('a GPU device lost mid-reply keeps the conversation, and “Load model” continues it on a new device', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await waitForModel(page);
  await page.locator('.settings summary').click();
  await page.locator('#max-tokens').fill('200');
  await page.locator('#seed').fill('5');
  await page.getByTestId('prompt').fill('The old man walked into the');
  await page.getByTestId('prompt').press('Enter');
  await page.waitForFunction(() => (document.querySelector('[data-testid=message-assistant] .body')?.textContent ?? '').length > 0, undefined, { timeout: 180_000 });
  // The next decode step destroys the worker's device, as a driver reset would lose it.
  await engineWorker(page).evaluate(() => {
    const proto = GPUDevice.prototype;
    const createCommandEncoder = proto.createCommandEncoder;
    proto.createCommandEncoder = function (this: GPUDevice, ...args) {
      proto.createCommandEncoder = createCommandEncoder;
      this.destroy();
      return createCommandEncoder.apply(this, args);
    };
  });
  const message = page.getByTestId('gpu-error');
  await message.waitFor({ state: 'visible', timeout: 120_000 });
  assert.match((await message.textContent()) ?? '', /the GPU device was lost \(destroyed.*Your conversation is kept\. Press “Load model” to continue/s);
  const partial = (await assistantTexts(page))[0];
  assert.ok(partial.length > 0, 'the partial reply is kept');
  await page.locator('#load').click();
  await waitForModel(page);
  assert.equal(await page.locator('#messages li.user .body').first().textContent(), 'The old man walked into the');
  assert.equal((await assistantTexts(page))[0], partial);
  await page.locator('#max-tokens').fill('8');
  // greedy: where the device was lost varies, so a sampled continuation could end at once
  await page.locator('#temperature').fill('0');
  await page.getByTestId('prompt').fill(' and then');
  await page.getByTestId('send').click();
  await waitForReplies(page, 2);
  assert.ok(((await assistantTexts(page))[1] ?? '').trim().length > 0, 'the new device replies');
  assert.equal(await message.isHidden(), true);
  await context.close();
});

test('on a phone-sized screen the page fits and stays usable', { timeout: 600_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await waitForModel(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: `${SCREENSHOTS}demo-phone.png`, fullPage: true });
  await context.close();
});

test('a model that cannot be loaded gives a message, and the default model loads again afterwards', { timeout: 600_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await waitForModel(page);
  await page.locator('input[value=custom]').check();
  await page.locator('#custom-model').fill('/models/no-such-model/');
  await page.locator('#load').click();
  const message = page.getByTestId('gpu-error');
  await message.waitFor({ state: 'visible' });
  assert.match((await message.textContent()) ?? '', /Could not load the model: .*no-such-model.*has no config\.json/);
  await page.locator('input[value=default]').check();
  await page.locator('#load').click();
  await waitForModel(page);
  assert.equal(await message.isHidden(), true);
  await context.close();
});

test('without WebGPU the page explains what is missing and what to do', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true }));
  await page.goto(baseUrl);
  const message = page.getByTestId('gpu-error');
  await message.waitFor({ state: 'visible' });
  assert.match((await message.textContent()) ?? '', /WebGPU is not available in this browser.*recent Chrome or Edge/s);
  assert.equal(await page.locator('#load').isDisabled(), true);
  await page.screenshot({ path: `${SCREENSHOTS}demo-no-webgpu.png`, fullPage: true });
  await context.close();
});
