// The throughput benchmark in Chromium (Debian's, or CHROMIUM_PATH), driven by Playwright: the
// same code and output as `npm run bench:node`, measured through the browser's WebGPU. Headless on
// SwiftShader by default; --gpu runs it headed on the GPU (under tools/withXvfb.sh without a
// display); --anatomy adds the first model's decode-step anatomy (as tools/profilePass.ts in Node).
//   npm run bench -- [--models tiny,2B-4T] [--prompt 512] [--generate 128] [--runs 3] [--no-dense] [--json] [--gpu] [--anatomy] [--help]
// Shapes whose config.json the config parser refuses are named with its reason and not measured (exit status 1).
import { launchChromium, startRepoServer } from '../e2e/browser.ts';
import {
  benchHelp,
  benchmarkMarkdown,
  benchOptionsFromArgs,
  reportRefusedShapes,
  type BenchResult,
  type BenchRow,
} from './bench/runBenchmark.ts';
import { stepAnatomyLines, type StepAnatomy } from './bench/stepAnatomy.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(
    benchHelp('npm run bench --', [
      '  --gpu              headed Chromium on the machine’s GPU (without a display: bash tools/withXvfb.sh npm run bench -- --gpu)',
      '  --anatomy          also the decode-step anatomy of the first shape measured',
    ]),
  );
  process.exit(0);
}
const { json, models } = benchOptionsFromArgs(args, { models: 'tiny' }); // validates the options here, before a browser starts
const refusedCount = reportRefusedShapes(models);
const { server, url } = await startRepoServer();
const browser = await launchChromium({ gpu: args.includes('--gpu') });
let failed = false;
try {
  const page = await browser.newPage();
  const ended = new Promise<BenchResult | { error: string }>(
    (resolve) => void page.exposeFunction('reportEnd', resolve),
  );
  await page.exposeFunction('reportRow', (row: BenchRow) => console.log(JSON.stringify(row)));
  await page.exposeFunction('reportAnatomy', (a: StepAnatomy) =>
    console.log(json ? JSON.stringify({ anatomy: a }) : stepAnatomyLines(a).join('\n')),
  );
  page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
  await page.goto(`${url}/tools/bench/bench.html?args=${encodeURIComponent(JSON.stringify(args))}`);
  const result = await ended;
  if ('error' in result) {
    console.error(result.error);
    failed = true;
  } else if (!json) {
    console.log(`\n${benchmarkMarkdown(result)}`);
  } else {
    for (const r of result.refused) console.log(JSON.stringify(r));
    console.log(JSON.stringify({ readBandwidthGBps: result.readBandwidthGBps }));
  }
} finally {
  await browser.close();
  await server.close();
}
process.exit(failed || refusedCount > 0 ? 1 : 0);
