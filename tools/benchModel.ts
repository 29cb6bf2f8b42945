// Whole-model throughput in Node + Dawn (the GPU machine): one JSON line per model and weight
// format, then Markdown tables (see tools/bench/runBenchmark.ts for what is measured). Shapes whose
// config.json the config parser refuses are named with its reason and not measured (exit status 1).
//   npm run bench:node -- [--models tiny,2B-4T,8B] [--prompt 512] [--generate 128] [--runs 3] [--no-dense]
//                         [--embedding int8|bf16] [--json] [--no-safety-checks] [--help]
// --no-safety-checks: Dawn without validation, shader bounds checks or resource zeroing
// (createNodeGpuContext's disableSafetyChecks, for trusted models only): report it as its own row.
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import {
  benchHelp,
  benchmarkMarkdown,
  benchOptionsFromArgs,
  reportRefusedShapes,
  runBenchmark,
} from './bench/runBenchmark.ts';
import { startNvidiaPowerMeter } from './bench/nvidiaPower.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(
    benchHelp('npm run bench:node --', [
      '  --no-safety-checks Dawn without validation, shader bounds checks or resource zeroing (trusted models only)',
    ]),
  );
  process.exit(0);
}
const disableSafetyChecks = args.includes('--no-safety-checks');
const options = benchOptionsFromArgs(
  args.filter((a) => a !== '--no-safety-checks'),
  { models: 'tiny' },
);
const refusedCount = reportRefusedShapes(options.models);
const ctx = await createNodeGpuContext({ disableSafetyChecks });
if (disableSafetyChecks) console.log('# Dawn safety checks off (validation, robustness, zeroing): trusted models only');
const power = await startNvidiaPowerMeter();
if (!power) console.error('# no nvidia-smi power readings: energy per token is left out');
try {
  const result = await runBenchmark(ctx, { ...options, power }, (row) => console.log(JSON.stringify(row)));
  if (!options.json) console.log(`\n${benchmarkMarkdown(result)}`);
  else {
    for (const r of result.refused) console.log(JSON.stringify(r));
    console.log(JSON.stringify({ readBandwidthGBps: result.readBandwidthGBps }));
  }
} finally {
  power?.stop();
}
process.exit(refusedCount > 0 ? 1 : 0);
