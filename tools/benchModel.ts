// Whole-model throughput in Node + Dawn (the GPU machine): one JSON line per model and weight
// format, then Markdown tables (see tools/bench/runBenchmark.ts for what is measured).
//   npm run bench:node -- [--models tiny,2B-4T,8B] [--prompt 512] [--generate 128] [--runs 3] [--no-dense]
//                         [--embedding int8|bf16] [--json]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { benchmarkMarkdown, benchOptionsFromArgs, runBenchmark } from './bench/runBenchmark.ts';
import { startNvidiaPowerMeter } from './bench/nvidiaPower.ts';

const options = benchOptionsFromArgs(process.argv.slice(2), { models: 'tiny' });
const ctx = await createNodeGpuContext();
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
