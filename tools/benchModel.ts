// Whole-model throughput in Node + Dawn: prefill and decode tokens/s, GPU memory, dispatches per
// decode step, for synthetic models of real shapes. One JSON line per model, then a Markdown table.
//   npm run bench:node -- [--models 2B,8B] [--prompt 512] [--generate 128] [--runs 3] [--json]
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { MODEL_SHAPES, syntheticSource } from './bench/syntheticSource.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const wanted = option('models', 'tiny-a').split(',');
const promptTokens = Number(option('prompt', '512'));
const generate = Number(option('generate', '128'));
const runs = Number(option('runs', '3'));
const jsonOnly = process.argv.includes('--json');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ctx = await createNodeGpuContext();
const rows: Record<string, string | number>[] = [];
for (const shape of MODEL_SHAPES.filter((s) => wanted.some((w) => s.name.includes(w)))) {
  const t0 = performance.now();
  const model = await BitNetModel.load(ctx, syntheticSource(shape), {
    contextLength: Math.min(4096, promptTokens + generate + 1),
    prefillChunk: promptTokens,
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919) % shape.vocab);
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r <= runs; r++) {
    model.reset();
    const a = performance.now();
    await model.logits(prompt.slice(0, -1));
    const b = performance.now();
    await model.generate(prompt.slice(-1), generate, { stopIds: [], lookahead: 7 });
    const c = performance.now();
    if (r === 0) continue; // warm-up: pipelines, caches
    prefill.push(((promptTokens - 1) / (b - a)) * 1000);
    decode.push((generate / (c - b)) * 1000);
  }
  const mem = model.gpuMemory();
  const row = {
    adapter: ctx.caps.adapterName,
    model: shape.name,
    variant: model.variant,
    promptTokens,
    generated: generate,
    prefillTokPerS: Math.round(median(prefill)),
    decodeTokPerS: Math.round(median(decode)),
    timeToFirstTokenMs: Number((promptTokens / median(prefill) * 1000).toFixed(1)),
    weightsMiB: Number((mem.weights / 2 ** 20).toFixed(1)),
    kvCacheMiB: Number((mem.kvCache / 2 ** 20).toFixed(1)),
    dispatchesPerDecodeStep: model.dispatchCount(1, 'argmax'),
    loadSeconds: Number(loadSeconds.toFixed(1)),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
  model.dispose();
}
if (!jsonOnly && rows.length) {
  const keys = Object.keys(rows[0]);
  console.log(`\n| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => r[k]).join(' | ')} |`);
}
process.exit(0);
