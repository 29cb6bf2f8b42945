// The throughput benchmark itself, for Node + Dawn (tools/benchModel.ts) and Chromium
// (tools/benchBrowser.ts driving tools/bench/bench.html): synthetic models of real shapes, the
// ternary model and its dense f32 twin side by side, against the measured read bandwidth.
import type { GpuContext } from '../../src/gpu/context.ts';
import { BitNetModel } from '../../src/model/bitnetModel.ts';
import type { LinearFormat } from '../../src/weights/formats.ts';
import type { EmbeddingFormat } from '../../src/weights/formats.ts';
import type { BitNetConfig } from '../../src/model/config.ts';
import { syntheticSource } from './syntheticSource.ts';
import { checkShapes, selectShapes, shapeListLines, type ModelShape } from './modelShapes.ts';
import { measureReadBandwidth } from './readBandwidth.ts';

export interface BenchOptions {
  /** Shape names, aliases or substrings of names (selectShapes in tools/bench/modelShapes.ts). */
  models: string[];
  promptTokens: number;
  generate: number;
  /** Timed runs after one warm-up; the median is reported. */
  runs: number;
  /** Also run each model with f32 linear layers (where it fits in the adapter's memory). */
  dense: boolean;
  /** Embedding table / lm_head format (default int8). */
  embeddingFormat?: EmbeddingFormat;
  /** Board power in watts, sampled beside the run (Node: nvidia-smi); absent where unknown. */
  power?: PowerMeter;
}

/** Mean board power over a time window (performance.now() milliseconds). */
export interface PowerMeter {
  meanWatts(fromMs: number, toMs: number): Promise<number | undefined>;
}

export interface BenchRow {
  adapter: string;
  model: string;
  weights: 'ternary' | 'f32';
  embedding: EmbeddingFormat;
  promptTokens: number;
  generated: number;
  prefillTokPerS: number;
  decodeTokPerS: number;
  timeToFirstTokenMs: number;
  weightsMiB: number;
  kvCacheMiB: number;
  dispatchesPerDecodeStep: number;
  /** Bytes a decode step must read: weights, lm_head, and the KV cache at the mean position. */
  decodeStepMiB: number;
  /** decodeStepMiB per step time against the streaming-read bandwidth of the same run. */
  rooflinePct: number;
  prefillJoulesPerToken: number | null;
  decodeJoulesPerToken: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/** Bytes one decode step reads: every weight once (the embedding only one row), KV up to `position`. */
function decodeStepBytes(model: BitNetModel, position: number): number {
  const c = model.config;
  const table = model.weights.embedding.bytes;
  const embeddingRead = c.tieWordEmbeddings ? 0 : table - table / c.vocabSize; // tied: it is the lm_head, read in full
  const kvRead = 2 * c.numLayers * position * c.numKvHeads * c.headDim * 4;
  return model.gpuMemory().weights - embeddingRead + kvRead;
}

/**
 * Joules per token: repeats `work` for at least `minMs`, each call returning the window (ms) in
 * which it produced `tokens` tokens, and integrates the meter's mean power over those windows.
 */
async function energyPerToken(
  power: PowerMeter | undefined,
  tokens: number,
  work: () => Promise<[number, number]>,
  minMs = 2000,
): Promise<number | null> {
  if (!power) return null;
  const t0 = performance.now();
  let joules = 0;
  let calls = 0;
  while (performance.now() - t0 < minMs) {
    const [from, to] = await work();
    const watts = await power.meanWatts(from, to);
    if (watts === undefined) return null;
    joules += (watts * (to - from)) / 1000;
    calls++;
  }
  return round(joules / (calls * tokens), 4);
}

async function benchOne(
  ctx: GpuContext,
  shape: ModelShape,
  config: BitNetConfig,
  weights: LinearFormat,
  o: BenchOptions,
  bandwidth: number,
): Promise<BenchRow> {
  const model = await BitNetModel.load(ctx, syntheticSource(shape), {
    contextLength: Math.min(config.maxPositionEmbeddings, o.promptTokens + o.generate + 1),
    prefillChunk: o.promptTokens,
    linearFormat: weights,
    // the dense baseline is full precision throughout: its table stays bf16
    embeddingFormat: weights === 'f32' ? 'bf16' : o.embeddingFormat,
  });
  try {
    const prompt = Array.from({ length: o.promptTokens }, (_, i) => (i * 7919) % config.vocabSize);
    const prefill: number[] = [];
    const ttft: number[] = [];
    const decode: number[] = [];
    // Each returns the window [start, end] in ms of the work it times.
    const prefillOnce = async (): Promise<[number, number]> => {
      model.reset();
      const a = performance.now();
      await model.logits(prompt);
      return [a, performance.now()];
    };
    const firstTokenOnce = async (): Promise<[number, number]> => {
      model.reset();
      const a = performance.now();
      await model.generate(prompt, 1);
      return [a, performance.now()];
    };
    const decodeOnce = async (): Promise<[number, number]> => {
      model.reset();
      await model.logits(prompt.slice(0, -1));
      const a = performance.now();
      await model.generate(prompt.slice(-1), o.generate, { stopIds: [], lookahead: 7 });
      return [a, performance.now()];
    };
    const ms = ([a, b]: [number, number]) => b - a;
    for (let r = 0; r <= o.runs; r++) {
      const p = ms(await prefillOnce());
      const f = ms(await firstTokenOnce());
      const d = ms(await decodeOnce());
      if (r === 0) continue; // warm-up: pipelines, caches, clocks
      prefill.push((o.promptTokens / p) * 1000);
      ttft.push(f);
      decode.push((o.generate / d) * 1000);
    }
    const decodeRate = median(decode);
    const stepBytes = decodeStepBytes(model, o.promptTokens + o.generate / 2);
    const mem = model.gpuMemory();
    return {
      adapter: ctx.caps.adapterName,
      model: shape.name,
      weights,
      embedding: model.weights.lmHead.format,
      promptTokens: o.promptTokens,
      generated: o.generate,
      prefillTokPerS: Math.round(median(prefill)),
      decodeTokPerS: round(decodeRate),
      timeToFirstTokenMs: round(median(ttft)),
      weightsMiB: round(mem.weights / 2 ** 20),
      kvCacheMiB: round(mem.kvCache / 2 ** 20),
      dispatchesPerDecodeStep: model.profiling.dispatchCount(1, 'argmax'),
      decodeStepMiB: round(stepBytes / 2 ** 20),
      rooflinePct: round(((stepBytes * decodeRate) / bandwidth) * 100),
      prefillJoulesPerToken: await energyPerToken(o.power, o.promptTokens, prefillOnce),
      decodeJoulesPerToken: await energyPerToken(o.power, o.generate, decodeOnce),
    };
  } finally {
    model.dispose();
  }
}

/** A dense f32 twin fits when its weights stay well inside the adapter's memory (guessed from maxBufferSize on CPUs). */
function denseFits(ctx: GpuContext, c: BitNetConfig): boolean {
  const linear =
    c.numLayers * c.hiddenSize * (2 * c.numHeads * c.headDim + 2 * c.numKvHeads * c.headDim + 3 * c.intermediateSize);
  const budget = ctx.caps.cpuAdapter ? 2 ** 30 : 40 * 2 ** 30;
  return linear * 4 < budget;
}

/** A selected shape that was not measured: the config parser refused its config.json. */
export interface RefusedShape {
  model: string;
  /** The parser's ModelFormatError message (the field and what is supported). */
  refused: string;
}

export interface BenchResult {
  readBandwidthGBps: number;
  rows: BenchRow[];
  refused: RefusedShape[];
}

/** The shapes `models` selects that the config parser refuses: they are reported, never measured. */
export function refusedShapes(models: readonly string[]): RefusedShape[] {
  return checkShapes(selectShapes(models)).flatMap((c) =>
    'refused' in c ? [{ model: c.shape.name, refused: c.refused }] : [],
  );
}

/**
 * For the benchmark commands, before anything starts: names each refused shape with its reason on
 * stderr and exits (status 1) when every selected shape is refused; returns how many were.
 */
export function reportRefusedShapes(models: readonly string[]): number {
  const refused = refusedShapes(models);
  for (const r of refused) console.error(`# ${r.model} is not measured: ${r.refused}`);
  if (refused.length === selectShapes(models).length) {
    console.error('# every shape selected was refused: nothing to measure');
    process.exit(1);
  }
  return refused.length;
}

/**
 * Runs every selected model the config parser accepts (ternary, then f32 when asked and it fits),
 * reporting rows as they finish; the refused ones are listed in the result with the parser's reason.
 */
export async function runBenchmark(
  ctx: GpuContext,
  o: BenchOptions,
  onRow: (row: BenchRow) => void = () => {},
): Promise<BenchResult> {
  const checked = checkShapes(selectShapes(o.models));
  const refused = checked.flatMap((c) => ('refused' in c ? [{ model: c.shape.name, refused: c.refused }] : []));
  const bandwidth = await measureReadBandwidth(ctx.device, ctx.caps.cpuAdapter ? 64 << 20 : 1 << 30);
  const rows: BenchRow[] = [];
  for (const c of checked) {
    if ('refused' in c) continue;
    for (const weights of ['ternary', 'f32'] as const) {
      if (weights === 'f32' && !(o.dense && denseFits(ctx, c.config))) continue;
      const row = await benchOne(ctx, c.shape, c.config, weights, o, bandwidth);
      rows.push(row);
      onRow(row);
    }
  }
  return { readBandwidthGBps: round(bandwidth / 1e9), rows, refused };
}

/** The result as Markdown: one row per run, then ternary-vs-f32 ratios per model, then the shapes not measured. */
export function benchmarkMarkdown(result: BenchResult): string {
  const { rows } = result;
  const lines = rows.length === 0 ? [] : rowsMarkdown(rows, result.readBandwidthGBps);
  if (result.refused.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push("Not measured: the config parser (src/model/config.ts) refused these shapes' config.json:");
    for (const r of result.refused) lines.push(`- ${r.model}: ${r.refused}`);
  }
  return lines.join('\n');
}

function rowsMarkdown(rows: BenchRow[], readBandwidthGBps: number): string[] {
  const keys = Object.keys(rows[0]) as (keyof BenchRow)[];
  const lines = [
    `Read bandwidth (streaming kernel): ${readBandwidthGBps} GB/s`,
    '',
    `| ${keys.join(' | ')} |`,
    `|${keys.map(() => '---').join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${keys.map((k) => r[k] ?? '-').join(' | ')} |`);
  const pairs = rows
    .filter((r) => r.weights === 'ternary')
    .map((t) => [t, rows.find((d) => d.weights === 'f32' && d.model === t.model)] as const);
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a && b ? `${(a / b).toFixed(2)}x` : '-';
  if (pairs.some(([, d]) => d)) {
    lines.push(
      '',
      '| model | decode speed-up | prefill speed-up | weight memory saving | decode energy saving | prefill energy saving |',
      '|---|---|---|---|---|---|',
    );
    for (const [t, d] of pairs) {
      if (!d) continue;
      lines.push(
        `| ${t.model} | ${ratio(t.decodeTokPerS, d.decodeTokPerS)} | ${ratio(t.prefillTokPerS, d.prefillTokPerS)} | ${ratio(d.weightsMiB, t.weightsMiB)} | ${ratio(d.decodeJoulesPerToken, t.decodeJoulesPerToken)} | ${ratio(d.prefillJoulesPerToken, t.prefillJoulesPerToken)} |`,
      );
    }
  }
  return lines;
}

/** `--name value` options shared by the Node and browser front ends. */
export function benchOptionsFromArgs(
  args: readonly string[],
  defaults: { models: string },
): Omit<BenchOptions, 'power'> & { json: boolean } {
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const positive = (name: string, fallback: string) => {
    const v = Number(option(name, fallback));
    if (!(Number.isInteger(v) && v > 0))
      throw new Error(`--${name} must be a positive integer, got ${option(name, fallback)}`);
    return v;
  };
  const models = option('models', defaults.models).split(',');
  selectShapes(models); // an unknown name fails here, before a GPU or a browser starts
  return {
    models,
    promptTokens: positive('prompt', '512'),
    generate: positive('generate', '128'),
    runs: positive('runs', '3'),
    dense: !args.includes('--no-dense'),
    embeddingFormat: option('embedding', 'int8') as EmbeddingFormat, // checked by BitNetModel.load
    json: args.includes('--json'),
  };
}

/** What `--help` prints: the options of both front ends, then every shape and whether the config parser accepts it. */
export function benchHelp(command: string, frontEndOptions: readonly string[] = []): string {
  return [
    `${command} [options]`,
    '  --models a,b,...   shapes by name, alias or part of a name (default: tiny)',
    '  --prompt 512       prompt tokens of the prefill pass',
    '  --generate 128     tokens decoded after it',
    '  --runs 3           timed runs after one warm-up (the median is reported)',
    '  --no-dense         skip the f32 twin of each model',
    '  --embedding int8   embedding table / lm_head format: int8 or bf16',
    '  --json             JSON lines only',
    ...frontEndOptions,
    '',
    'Shapes (tools/bench/modelShapes.ts: config.json read by src/model/config.ts, as a checkpoint would be):',
    ...shapeListLines(),
  ].join('\n');
}
