// The throughput benchmark in headless Chromium (Debian's, WebGPU on SwiftShader here), driven by
// Playwright: the same code and output as `npm run bench:node`, measured through the browser's WebGPU.
//   npm run bench -- [--models tiny,2B-4T] [--prompt 512] [--generate 128] [--runs 3] [--no-dense] [--json]
import { launchChromium, startRepoServer } from '../e2e/browser.ts';
import { benchmarkMarkdown, benchOptionsFromArgs, type BenchResult, type BenchRow } from './bench/runBenchmark.ts';

const args = process.argv.slice(2);
const { json } = benchOptionsFromArgs(args, { models: 'tiny' }); // validates the options here, before a browser starts
const { server, url } = await startRepoServer();
const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage();
  const ended = new Promise<BenchResult | { error: string }>((resolve) => void page.exposeFunction('reportEnd', resolve));
  await page.exposeFunction('reportRow', (row: BenchRow) => console.log(JSON.stringify(row)));
  page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
  await page.goto(`${url}/tools/bench/bench.html?args=${encodeURIComponent(JSON.stringify(args))}`);
  const result = await ended;
  if ('error' in result) {
    console.error(result.error);
    failed = true;
  } else if (!json) {
    console.log(`\n${benchmarkMarkdown(result)}`);
  } else {
    console.log(JSON.stringify({ readBandwidthGBps: result.readBandwidthGBps }));
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed ? 1 : 0);
