// Whole-model throughput in Node + Dawn (the GPU machine): one JSON line per model and weight
// format, then Markdown tables (see tools/bench/runBenchmark.ts for what is measured).
//   npm run bench:node -- [--models tiny,2B-4T,8B] [--prompt 512] [--generate 128] [--runs 3] [--no-dense]
//                         [--embedding int8|bf16] [--json] [--no-safety-checks]
// --no-safety-checks: Dawn without validation, shader bounds checks or resource zeroing
// (createNodeGpuContext's disableSafetyChecks, for trusted models only): report it as its own row.
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { benchmarkMarkdown, benchOptionsFromArgs, runBenchmark } from './bench/runBenchmark.ts';
import { startNvidiaPowerMeter } from './bench/nvidiaPower.ts';

const args = process.argv.slice(2);
const disableSafetyChecks = args.includes('--no-safety-checks');
const options = benchOptionsFromArgs(
  args.filter((a) => a !== '--no-safety-checks'),
  { models: 'tiny' },
);
const ctx = await createNodeGpuContext({ disableSafetyChecks });
if (disableSafetyChecks) console.log('# Dawn safety checks off (validation, robustness, zeroing): trusted models only');
const power = await startNvidiaPowerMeter();
if (!power) console.error('# no nvidia-smi power readings: energy per token is left out');
try {
  const result = await runBenchmark(ctx, { ...options, power }, (row) => console.log(JSON.stringify(row)));
  if (!options.json) console.log(`\n${benchmarkMarkdown(result)}`);
  else console.log(JSON.stringify({ readBandwidthGBps: result.readBandwidthGBps }));
} finally {
  power?.stop();
}
process.exit(0);
