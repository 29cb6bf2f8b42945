// The chat demo as a person uses it, in headless Chromium (SwiftShader WebGPU).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page, Worker } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startDemoServer, SCREENSHOTS } from './browser.ts';
import { checkpointBytes, MODEL_SHAPES } from '../tools/bench/modelShapes.ts';

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

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Until a model is loaded and the chat takes messages. */
async function waitForModel(page: Page): Promise<void> {
  await page
    .getByTestId('model-status')
    .filter({ hasText: /ready in/ })
    .waitFor({ timeout: 180_000 });
  await page.waitForFunction(
    () => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false,
  );
}

/** The demo in a browser context of its own (its own storage), with the model loaded. */
async function demoInNewContext(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await waitForModel(page);
  return { context, page };
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
  await page.waitForFunction(
    () => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false,
    undefined,
    { timeout: 300_000 },
  );
}

async function assistantTexts(page: Page): Promise<string[]> {
  return page.getByTestId('message-assistant').locator('.body').allTextContents();
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('prompt').fill(text);
  await page.getByTestId('prompt').press('Enter');
}

async function setSettings(
  page: Page,
  values: { maxTokens?: number; seed?: number; temperature?: number },
): Promise<void> {
  if (!(await page.locator('.settings').evaluate((d) => (d as HTMLDetailsElement).open)))
    await page.locator('.settings summary').click();
  if (values.maxTokens !== undefined) await page.locator('#max-tokens').fill(String(values.maxTokens));
  if (values.seed !== undefined) await page.locator('#seed').fill(String(values.seed));
  if (values.temperature !== undefined) await page.locator('#temperature').fill(String(values.temperature));
}

/** Whether the prompt box lies wholly inside the first screen (the page scrolled to the top) and the page is no wider than the screen. */
async function promptInFirstScreen(page: Page): Promise<{ inView: boolean; overflow: number; box: string }> {
  return page.evaluate(() => {
    window.scrollTo(0, 0);
    const r = document.querySelector('[data-testid=prompt]')!.getBoundingClientRect();
    return {
      inView: r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      box: `prompt at ${r.top.toFixed(0)}..${r.bottom.toFixed(0)} of ${window.innerHeight}`,
    };
  });
}

/**
 * Records, for the newest reply, every change the page makes while it streams: whether the busy
 * indicator shows, how long the text is, its aria-busy; and every text the reply status region
 * (a live region) gets. Read with `replyRecord`.
 */
async function recordNextReply(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as {
      replyLog: { busy: boolean; text: number; ariaBusy: string | null }[];
      statusLog: string[];
    };
    w.replyLog = [];
    w.statusLog = [];
    const known = document.querySelectorAll('[data-testid=message-assistant]').length;
    new MutationObserver(() => {
      const li = document.querySelectorAll('[data-testid=message-assistant]')[known];
      if (li)
        w.replyLog.push({
          busy: li.querySelector('[data-testid=busy-indicator]') !== null,
          text: li.querySelector('.body')!.textContent!.length,
          ariaBusy: li.getAttribute('aria-busy'),
        });
    }).observe(document.getElementById('messages')!, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    const status = document.querySelector('[data-testid=reply-status]')!;
    new MutationObserver(() => w.statusLog.push(status.textContent!)).observe(status, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
}

async function replyRecord(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as {
      replyLog: { busy: boolean; text: number; ariaBusy: string | null }[];
      statusLog: string[];
    };
    return { replyLog: w.replyLog, statusLog: w.statusLog };
  });
}

/** WCAG 2 contrast ratio of two CSS colours (rgb()/rgba() as getComputedStyle gives them). */
function contrastRatio(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = css
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Text colour and the background it sits on (the nearest opaque one up the tree) of each element people read. */
async function readableColours(page: Page): Promise<{ what: string; fg: string; bg: string }[]> {
  const selectors = [
    'body',
    'h1',
    '.tagline',
    '#chat-title',
    '#model-status',
    '.mode',
    '#mode-note',
    '#messages li.user .body',
    '#messages li.assistant .body',
    '#messages li .who',
    '#prompt',
    '#send',
    '#clear',
    '#stats',
    '#gpu-error',
  ];
  // (no named functions inside: the test runner's transform would make them refer to its helpers)
  return page.evaluate(
    (list) =>
      list.map((what) => {
        const el = document.querySelector(what)!;
        let bgEl: Element | null = el;
        while (bgEl && /^rgba\(.*,\s*0\)$|^transparent$/.test(getComputedStyle(bgEl).backgroundColor))
          bgEl = bgEl.parentElement;
        return {
          what,
          fg: getComputedStyle(el).color,
          bg: bgEl ? getComputedStyle(bgEl).backgroundColor : 'rgb(255, 255, 255)',
        };
      }),
    selectors,
  );
}

test(
  'chat on a desktop screen: named phase-by-phase progress, the model panel folds away, a busy reply streams without live re-announcements and stops, the prompt stays in view; a reload loads from the cache; one size for the model everywhere',
  { timeout: 600_000 },
  async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      const texts: string[] = ((window as unknown as { progressTexts: string[] }).progressTexts = []);
      document.addEventListener('DOMContentLoaded', () => {
        const el = document.getElementById('progress-text')!;
        new MutationObserver(() => texts.push(el.textContent!)).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
    });
    await page.goto(baseUrl);
    const bar = page.getByRole('progressbar', { name: 'Loading the model' });
    await bar.waitFor({ state: 'visible' });
    await waitForModel(page);
    // progress went through every phase of a first load, and the download's total is the model's size
    const progressTexts = await page.evaluate(() => (window as unknown as { progressTexts: string[] }).progressTexts);
    for (const phase of [
      /^Downloading the model: .* of \d/,
      /^Placing the weights on the GPU: \d+ of \d+ tensors$/,
      /^Compiling GPU kernels: \d+ of \d+$/,
      /^Warming up the GPU kernels: \d+ of \d+ passes$/,
    ]) {
      assert.ok(
        progressTexts.some((t) => phase.test(t)),
        `no progress text like ${phase}: ${progressTexts.slice(0, 5).join(' | ')} …`,
      );
    }
    const modelSize = (await page.getByTestId('default-model-size').textContent())!;
    assert.match(modelSize, /^\d+(\.\d+)? [kMG]?B$/);
    assert.ok(
      progressTexts.some((t) => t.startsWith('Downloading the model: ') && t.includes(` of ${modelSize}`)),
      `the download's total is not ${modelSize}`,
    );
    // the model panel folds to one line once the model is ready, and opens again to switch
    assert.equal(await bar.isHidden(), true);
    assert.equal(await page.locator('#model-panel').evaluate((d) => (d as HTMLDetailsElement).open), false);
    assert.equal(await page.locator('#load').isHidden(), true);
    assert.match(
      (await page.getByTestId('model-status').textContent())!,
      /^bitnet-b1\.58-en-11m: ready in [\d.]+ s on google swiftshader/,
    );
    // the embedded model has no chat format: it starts in continue mode and says why chat is off
    assert.equal(await page.locator('#continue-mode').isChecked(), true);
    assert.equal(await page.locator('#continue-mode').isDisabled(), true);
    assert.match(
      (await page.getByTestId('mode-note').textContent())!,
      /Chat is off: bitnet-b1\.58-en-11m has no chat template, so it continues your text/,
    );

    await setSettings(page, { maxTokens: 60, seed: 5 });
    await recordNextReply(page);
    await send(page, 'The old man walked into the');
    // the reply grows over time: once its first token shows, sample its length every 50 ms until it
    // has grown twice more (a reply shown all at once never does), for at most 10 s
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=message-assistant] .body')?.textContent ?? '').length > 0,
      undefined,
      { timeout: 180_000 },
    );
    const lengths: number[] = [];
    const growths = () => lengths.filter((l, i) => i > 0 && l > lengths[i - 1]).length;
    for (let i = 0; i < 200 && growths() < 2; i++) {
      lengths.push(((await assistantTexts(page))[0] ?? '').length);
      await page.waitForTimeout(50);
    }
    assert.ok(growths() >= 2, `the reply did not grow in steps: ${lengths.join(',')}`);
    // while it streams, nothing that contains the reply is a live region (each token would be read out)
    const inLiveRegion = await page.evaluate(() => {
      const reply = document.querySelector('[data-testid=message-assistant]')!;
      return [...document.querySelectorAll('[aria-live], [role=log], [role=status], [role=alert]')]
        .filter((r) => r.contains(reply) && r.getAttribute('aria-live') !== 'off')
        .map((r) => r.id || r.tagName);
    });
    assert.deepEqual(inLiveRegion, []);
    await page.getByTestId('stop').click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false,
    );
    assert.equal(await page.getByTestId('stop').isDisabled(), true);
    const stopped = (await assistantTexts(page))[0];
    assert.ok(stopped.length > 0, 'the stopped reply keeps its text');
    const { replyLog, statusLog } = await replyRecord(page);
    // busy indicator from the start until the first token, never after; aria-busy while streaming, then not
    assert.ok(
      replyLog.some((r) => r.busy && r.text === 0 && r.ariaBusy === 'true'),
      'no busy indicator before the first token',
    );
    assert.ok(
      replyLog.every((r) => r.text === 0 || !r.busy),
      'the busy indicator stayed after the first token',
    );
    const streaming = replyLog.filter((r) => r.text > 0 && r.text < stopped.length);
    assert.ok(
      streaming.length >= 2 && streaming.every((r) => r.ariaBusy === 'true'),
      `aria-busy while streaming: ${JSON.stringify(streaming.slice(0, 3))}`,
    );
    assert.equal(await page.getByTestId('message-assistant').first().getAttribute('aria-busy'), 'false');
    // the status region spoke twice (writing…, the whole reply), not once per token
    assert.equal(statusLog.length, 2, JSON.stringify(statusLog));
    assert.equal(statusLog[1], `The model replied: ${stopped}`);

    await send(page, ' and then');
    await waitForReplies(page, 2);
    const second = (await assistantTexts(page))[1];
    assert.ok(second.trim().length > 0, 'the second reply is empty');
    assert.match(
      (await page.getByTestId('stats').textContent()) ?? '',
      /Time to first token \d+ ms · prefill \d+ tok\/s · decode [\d.]+ tok\/s · \d+ tokens · google swiftshader/,
    );
    const layout = await promptInFirstScreen(page);
    assert.ok(layout.inView, `after two turns the prompt is not in the first screen: ${layout.box}`);
    assert.ok(layout.overflow <= 0, `the page is ${layout.overflow}px wider than the screen`);
    await page.screenshot({ path: `${SCREENSHOTS}demo-desktop.png` });

    // reload: the weights come from IndexedDB, no shard is requested
    const weightRequests: string[] = [];
    page.on('request', (r) => r.url().includes('shard-') && weightRequests.push(r.url()));
    await page.reload();
    await waitForModel(page);
    assert.deepEqual(weightRequests, []);
    // the demo lists the cache after the model is ready, without holding up the chat; the size there
    // is the size next to the model's name
    await page.locator('#model-panel summary').click();
    await page.locator('#cache-list li').first().waitFor({ timeout: 10_000 });
    assert.equal(
      (await page.locator('#cache-list li span').first().textContent())!,
      `bitnet-b1.58-en-11m — ${modelSize}`,
    );
    await page.screenshot({ path: `${SCREENSHOTS}demo-reloaded.png`, fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  },
);

test(
  'on a phone the prompt is in the first screen after loading and after two turns; continue mode joins turns with a space; nothing is wider than the screen',
  { timeout: 600_000 },
  async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    await page.goto(baseUrl);
    await waitForModel(page);
    let layout = await promptInFirstScreen(page);
    assert.ok(layout.inView, `after loading the prompt is not in the first screen: ${layout.box}`);
    assert.ok(layout.overflow <= 0, `the page is ${layout.overflow}px wider than the screen`);
    // the prompts continue mode sends, as the worker receives them
    await engineWorker(page).evaluate(() => {
      const w = self as unknown as { prompts: string[] };
      w.prompts = [];
      const handle = self.onmessage!;
      self.onmessage = (e: MessageEvent) => {
        if (e.data.type === 'run') w.prompts.push(e.data.request.prompt);
        return handle.call(self, e);
      };
    });
    await setSettings(page, { maxTokens: 12, temperature: 0 });
    await page.locator('.settings summary').click(); // folded again, as a person would leave it
    const opening = 'The old man walked into the';
    await send(page, opening);
    await waitForReplies(page, 1);
    const first = (await assistantTexts(page))[0];
    assert.ok(first.length > 0);
    await send(page, 'Then he said');
    await waitForReplies(page, 2);
    const prompts = await engineWorker(page).evaluate(() => (self as unknown as { prompts: string[] }).prompts);
    // a typed turn starts a new word: one space after text that does not end in one, none after text that does
    assert.deepEqual(prompts, [opening, `${opening}${first}${/\s$/.test(first) ? '' : ' '}Then he said`]);
    layout = await promptInFirstScreen(page);
    assert.ok(layout.inView, `after two turns the prompt is not in the first screen: ${layout.box}`);
    assert.ok(layout.overflow <= 0, `the page is ${layout.overflow}px wider than the screen`);
    await page.screenshot({ path: `${SCREENSHOTS}demo-phone.png` });
    await context.close();
  },
);

test(
  'dark mode: with a dark colour scheme the page and its text change colour, and every text keeps WCAG AA contrast in both schemes',
  { timeout: 600_000 },
  async () => {
    const context = await browser.newContext({ ...DESKTOP, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(baseUrl);
    await waitForModel(page);
    await setSettings(page, { maxTokens: 8, seed: 3 });
    await send(page, 'The night was');
    await waitForReplies(page, 1);
    const dark = await readableColours(page);
    await page.screenshot({ path: `${SCREENSHOTS}demo-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await readableColours(page);
    const body = (list: typeof dark) => list.find((c) => c.what === 'body')!;
    assert.notEqual(body(dark).bg, body(light).bg, 'the background is the same in both schemes');
    assert.notEqual(body(dark).fg, body(light).fg, 'the text colour is the same in both schemes');
    assert.ok(
      contrastRatio(body(dark).bg, 'rgb(0, 0, 0)') < contrastRatio(body(light).bg, 'rgb(0, 0, 0)'),
      'the dark background is not darker',
    );
    for (const [scheme, colours] of [
      ['dark', dark],
      ['light', light],
    ] as const) {
      for (const { what, fg, bg } of colours) {
        const ratio = contrastRatio(fg, bg);
        assert.ok(
          ratio >= 4.5,
          `${scheme}: ${what} has contrast ${ratio.toFixed(2)} (${fg} on ${bg}); WCAG AA needs 4.5`,
        );
      }
    }
    await context.close();
  },
);

test('model output and names are shown as text, never as HTML', { timeout: 600_000 }, async () => {
  const { context, page } = await demoInNewContext();
  await setSettings(page, { maxTokens: 8 });
  const attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  await send(page, attack);
  await waitForReplies(page, 1);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('#messages img, #messages script').count(), 0);
  assert.equal(await page.locator('#messages li.user .body').first().textContent(), attack);

  // The model's own reply: every chunk the engine worker sends is rewritten to carry the attack.
  // Every reply has at least its closing chunk, so this holds even when the sampled reply is empty.
  await engineWorker(page).evaluate((text) => {
    const post = self.postMessage.bind(self);
    self.postMessage = (m: {
      type: string;
      chunk?: { text?: string; choices?: { delta: { content?: string } }[] };
    }) => {
      if (m.type === 'chunk' && m.chunk?.choices) m.chunk.choices[0].delta.content = text;
      else if (m.type === 'chunk' && m.chunk) m.chunk.text = text;
      post(m);
    };
  }, attack);
  await send(page, 'Tell me more');
  await waitForReplies(page, 2);
  assert.ok(((await assistantTexts(page))[1] ?? '').startsWith(attack), 'the reply carries the attack as text');
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('#messages img, #messages script').count(), 0);
  await context.close();
});

test(
  'a GPU device lost mid-reply keeps the conversation, and “Load model” continues it on a new device',
  { timeout: 600_000 },
  async () => {
    const { context, page } = await demoInNewContext();
    await setSettings(page, { maxTokens: 200, seed: 5 });
    await send(page, 'The old man walked into the');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=message-assistant] .body')?.textContent ?? '').length > 0,
      undefined,
      { timeout: 180_000 },
    );
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
    assert.match(
      (await message.textContent()) ?? '',
      /the GPU device was lost \(destroyed.*Your conversation is kept\. Press “Load model” to continue/s,
    );
    assert.equal(await page.getByTestId('prompt').isDisabled(), true);
    assert.match((await page.getByTestId('chat-off').textContent()) ?? '', /Chat is off: the GPU device was lost/);
    const partial = (await assistantTexts(page))[0];
    assert.ok(partial.length > 0, 'the partial reply is kept');
    await page.locator('#load').click();
    await waitForModel(page);
    assert.equal(await page.locator('#messages li.user .body').first().textContent(), 'The old man walked into the');
    assert.equal((await assistantTexts(page))[0], partial);
    // greedy: where the device was lost varies, so a sampled continuation could end at once
    await setSettings(page, { maxTokens: 8, temperature: 0 });
    await page.getByTestId('prompt').fill(' and then');
    await page.getByTestId('send').click();
    await waitForReplies(page, 2);
    assert.ok(((await assistantTexts(page))[1] ?? '').trim().length > 0, 'the new device replies');
    assert.equal(await message.isHidden(), true);
    await context.close();
  },
);

test(
  'after a model fails to load the chat is off with the reason, and a button loads the last working model again',
  { timeout: 600_000 },
  async () => {
    const { context, page } = await demoInNewContext();
    await page.locator('#model-panel summary').click();
    await page.locator('input[value=custom]').check();
    await page.locator('#custom-model').fill('/models/no-such-model/');
    await page.locator('#load').click();
    const message = page.getByTestId('gpu-error');
    await message.waitFor({ state: 'visible' });
    assert.match((await message.textContent()) ?? '', /Could not load the model: .*no-such-model.*has no config\.json/);
    const chatOff = page.getByTestId('chat-off');
    assert.match((await chatOff.textContent()) ?? '', /Chat is off: \/models\/no-such-model\/ could not be loaded\./);
    assert.equal(await page.getByTestId('prompt').isDisabled(), true);
    assert.equal(await page.getByTestId('send').isDisabled(), true);
    const back = page.getByTestId('back-to-model');
    assert.equal(await back.textContent(), 'Load bitnet-b1.58-en-11m again');
    await back.click();
    await waitForModel(page);
    assert.equal(await chatOff.isHidden(), true);
    assert.equal(await message.isHidden(), true);
    assert.equal(await page.locator('input[value=default]').isChecked(), true);
    await setSettings(page, { maxTokens: 4, temperature: 0 });
    await send(page, 'The old man');
    await waitForReplies(page, 1);
    assert.ok(((await assistantTexts(page))[0] ?? '').length > 0, 'the model loaded again replies');
    await context.close();
  },
);

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

/** Bytes of a size as formatBytes writes it ("1.36 GB", "664 MB"). */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ([kMG]?)B$/.exec(text);
  assert.ok(m, `not a size: ${text}`);
  return Number(m[1]) * { '': 1, k: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'k' | 'M' | 'G'];
}

test(
  'the model picker offers the embedded model, chosen, and a Hugging Face model of each family with its download size; nothing is fetched from elsewhere',
  { timeout: 120_000 },
  async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(baseUrl)) elsewhere.push(r.url());
    });
    // without WebGPU the page loads no model: the picker alone, as a person sees it before choosing
    await page.addInitScript(() => Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true }));
    await page.goto(baseUrl);
    await page.getByTestId('gpu-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('input[value=default]').isChecked(), true);
    for (const repo of [
      'microsoft/bitnet-b1.58-2B-4T',
      'tiiuae/Falcon3-1B-Instruct-1.58bit',
      'tiiuae/Falcon-E-1B-Instruct',
      'HF1BitLLM/Llama3-8B-1.58-100B-tokens',
    ]) {
      const choice = page.locator('label.choice', { has: page.locator(`input[value="${repo}"]`) });
      assert.equal(await choice.count(), 1, `${repo} is not offered`);
      assert.equal(await choice.isVisible(), true, `${repo} is not visible`);
      assert.ok((await choice.textContent())!.includes(repo), `${repo}'s choice does not name it`);
      // the size shown is the checkpoint its config.json implies (tools/bench/modelShapes.ts), to 1.5%
      const shown = parseSize((await choice.getByTestId('download-size').textContent())!);
      const shape = MODEL_SHAPES.find((s) => s.repository === repo);
      assert.ok(shape, `no benchmark shape copies ${repo}'s config.json`);
      const bytes = checkpointBytes(shape);
      assert.ok(
        Math.abs(shown - bytes) < 0.015 * bytes,
        `${repo}: the page says ${shown / 1e9} GB, its config implies ${(bytes / 1e9).toFixed(3)} GB`,
      );
    }
    await page.screenshot({ path: `${SCREENSHOTS}demo-model-picker.png`, fullPage: true });
    assert.deepEqual(elsewhere, []);
    await context.close();
  },
);
