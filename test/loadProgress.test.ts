// What createEngine reports while it loads, and what it leaves done: every phase with its own count,
// one fraction that ends at 1, and a first request that waits for no compilation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine, type EngineStats, type LoadProgress } from '../src/node/index.ts';
import { LoadProgressReporter, formatBytes } from '../src/engine/loadProgress.ts';
import { testGpuContext } from './gpuContext.ts';

const MODEL = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
let engine: Engine;
const reports: LoadProgress[] = [];

before(async () => {
  engine = await createEngine({ model: MODEL, gpu: await testGpuContext(), onProgress: (p) => reports.push(p) });
});
after(() => engine?.dispose());

function checkFractions(list: LoadProgress[]): void {
  assert.ok(
    list.every((p, i) => p.fraction >= 0 && p.fraction <= 1 && (i === 0 || p.fraction >= list[i - 1].fraction)),
    `fractions: ${list.map((p) => p.fraction.toFixed(3))}`,
  );
  assert.equal(list.at(-1)!.fraction, 1);
}

test('a local model reports upload, compile and warm-up, each to its total, with a text and one fraction that ends at 1', () => {
  assert.deepEqual([...new Set(reports.map((p) => p.phase))], ['upload', 'compile', 'warmup']);
  const units = { upload: 'tensors', compile: 'kernels', warmup: 'passes' };
  for (const [phase, unit] of Object.entries(units)) {
    const mine = reports.filter((p) => p.phase === phase);
    assert.ok(
      mine.every((p) => p.unit === unit && p.text.includes(`${p.done} of ${p.total}`)),
      `${phase}: ${JSON.stringify(mine[0])}`,
    );
    assert.ok(
      mine.at(-1)!.total > 0 && mine.at(-1)!.done === mine.at(-1)!.total,
      `${phase} ends at ${mine.at(-1)!.done} of ${mine.at(-1)!.total}`,
    );
  }
  checkFractions(reports);
});

test('a first download: download and verify move one fraction together, sizes read in decimal units, the later phases fill the rest', () => {
  const got: LoadProgress[] = [];
  const reporter = new LoadProgressReporter((p) => got.push(p));
  const total = 5_918_143;
  reporter.update({ phase: 'download', done: 276_415, total });
  reporter.update({ phase: 'download', done: 3_422_143, total, file: 'shard-00000.bin' });
  reporter.update({ phase: 'verify', done: 3_145_728, total: 5_641_728, file: 'shard-00000.bin' });
  reporter.update({ phase: 'download', done: total, total, file: 'shard-00001.bin' });
  reporter.update({ phase: 'verify', done: 5_641_728, total: 5_641_728, file: 'shard-00001.bin' });
  for (let i = 1; i <= 3; i++) reporter.update({ phase: 'upload', done: i, total: 3 });
  reporter.update({ phase: 'compile', done: 1, total: 1 });
  reporter.update({ phase: 'warmup', done: 1, total: 1 });
  assert.equal(got[1].text, 'Downloading the model: 3.4 MB of 5.9 MB');
  assert.equal(got[2].text, 'Downloading the model: 3.4 MB of 5.9 MB (3.1 MB verified)');
  assert.equal(got[2].file, 'shard-00000.bin');
  assert.equal(got[3].text, 'Verifying the download: 3.1 MB of 5.6 MB');
  assert.ok(got[3].fraction < got[4].fraction, 'verification moves the bar');
  assert.ok(got[4].fraction > 0.5 && got[4].fraction < 0.7, `the download stage ends at ${got[4].fraction}`);
  assert.deepEqual(
    got.map((p) => p.unit),
    ['bytes', 'bytes', 'bytes', 'bytes', 'bytes', 'tensors', 'tensors', 'tensors', 'kernels', 'passes'],
  );
  checkFractions(got);
  assert.deepEqual([999, 1000, 812_345, 1_190_000_000].map(formatBytes), ['999 B', '1 kB', '812 kB', '1.19 GB']);
});

test('the first request waits for no compilation: it creates no shader module or pipeline', async (t) => {
  // Counted, not timed: a timing comparison failed under load on a shared CPU. Every kernel is
  // compiled while loading (the compile phase), so a request must create none.
  const { device } = await testGpuContext();
  const created = { modules: 0, pipelines: 0 };
  const { createShaderModule, createComputePipeline } = device;
  device.createShaderModule = (d) => (created.modules++, createShaderModule.call(device, d));
  device.createComputePipeline = (d) => (created.pipelines++, createComputePipeline.call(device, d));
  try {
    const tokens = Array.from({ length: 8 }, (_, i) => 11 + 37 * i);
    for await (const chunk of engine.generate({ tokens, max_tokens: 4, temperature: 0.8, seed: 1 })) void chunk;
  } finally {
    device.createShaderModule = createShaderModule;
    device.createComputePipeline = createComputePipeline;
  }
  const stats: EngineStats = engine.stats();
  assert.deepEqual(created, { modules: 0, pipelines: 0 }, 'the first request compiled kernels');
  t.diagnostic(`first request: ${stats.timeToFirstTokenMs.toFixed(0)} ms to its first token`);
});
