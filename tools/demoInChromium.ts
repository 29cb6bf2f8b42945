// The chat demo as a person uses it, in Chromium, printing what its stats line says (adapter,
// time to first token, prefill and decode tokens/s): on a GPU machine, the demo's real speed.
// Headless on SwiftShader by default; --gpu runs it headed on the GPU (under tools/withXvfb.sh
// without a display). Continue mode, greedy, on the embedded default model.
//   node --import ./tools/register.js tools/demoInChromium.ts [--gpu] [--max-tokens 200] [--turns 3]
import { launchChromium, startDemoServer } from '../e2e/browser.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const maxTokens = option('max-tokens', '200');
const turns = Number(option('turns', '3'));
const prompts = ['The old man walked into the', 'Then he said that', 'In the morning the city'];

const { server, url } = await startDemoServer();
const browser = await launchChromium({ gpu: process.argv.includes('--gpu') });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
  await page.goto(url);
  await page.getByTestId('prompt').waitFor({ state: 'visible', timeout: 180_000 });
  console.log(`ready: ${await page.getByTestId('stats').textContent()}`);
  await page.locator('.settings summary').click();
  await page.locator('#max-tokens').fill(maxTokens);
  await page.locator('#temperature').fill('0');
  for (let t = 0; t < turns; t++) {
    await page.getByTestId('prompt').fill(prompts[t % prompts.length]);
    await page.getByTestId('prompt').press('Enter');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message-assistant]').length === n, t + 1);
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=send]') as HTMLButtonElement).disabled === false,
      undefined,
      { timeout: 300_000 },
    );
    console.log(`turn ${t + 1}: ${await page.getByTestId('stats').textContent()}`);
  }
  const replies = await page.getByTestId('message-assistant').locator('.body').allTextContents();
  console.log(`last reply: ${JSON.stringify(replies.at(-1))}`);
} finally {
  await browser.close();
  await server.close();
}
