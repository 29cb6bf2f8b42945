// The CLI's two stable contracts, run as a user would (a child process, JSON on stdout), on a
// checkpoint directory and on a .gguf file; `info` and `convert` on a .gguf file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import type { ExpectedCase } from './modelChecks.ts';
import { GGUF_FIXTURES } from './ggufModels.ts';
import { temporaryDirectory } from './modelFolders.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const MODEL = new URL('fixtures/tiny-a/packed', import.meta.url).pathname;
const GGUF = new URL('fixtures/gguf/', import.meta.url).pathname;
// tiny-a is seeded random weights: compared with transformers with its table as in the checkpoint (see FixtureSet)
const EXACT = ['--embedding', 'bf16'];
const cases: ExpectedCase[] = JSON.parse(readFileSync(`${MODEL}/expected.json`, 'utf8')).cases;

function cli(...args: string[]) {
  return run(process.execPath, ['--import', './tools/register.js', 'src/node/cli.ts', ...args], {
    cwd: root,
    maxBuffer: 64 << 20,
  });
}

test('cli logits prints the last-position logits as JSON', async () => {
  const c = cases[0];
  const { stdout } = await cli('logits', '--model', MODEL, '--ids', c.input_ids.join(','), ...EXACT);
  const { logits } = JSON.parse(stdout) as { logits: number[] };
  assert.equal(logits.length, c.last_logits.length);
  const maxDiff = Math.max(...logits.map((v, i) => Math.abs(v - c.last_logits[i])));
  assert.ok(maxDiff <= 1.5, `max |diff| ${maxDiff}`);
});

test('cli generate --greedy prints the new token ids, as transformers generates them', async () => {
  const c = cases[2];
  const { stdout } = await cli(
    'generate',
    '--model',
    MODEL,
    '--ids',
    c.input_ids.join(','),
    '--max-tokens',
    String(c.greedy_new_ids.length),
    '--greedy',
    ...EXACT,
  );
  assert.deepEqual(JSON.parse(stdout), { ids: c.greedy_new_ids });
});

test('cli errors name the problem and exit non-zero', async () => {
  await assert.rejects(
    cli('logits', '--model', MODEL, '--ids', '1,x'),
    (e: { code: number; stderr: string }) => e.code === 2 && /--ids must be comma-separated/.test(e.stderr),
  );
  await assert.rejects(
    cli('generate', '--model', MODEL, '--ids', '1', '--greedy'),
    (e: { code: number; stderr: string }) => e.code === 2 && /--max-tokens must be a positive integer/.test(e.stderr),
  );
  await assert.rejects(
    cli('logits', '--model', MODEL, '--ids', '1', '--embedding', 'fp8'),
    (e: { code: number; stderr: string }) =>
      e.code === 2 && /--embedding must be int8 or bf16, got "fp8"/.test(e.stderr),
  );
  await assert.rejects(
    cli('logits', '--model', '/nonexistent-model', '--ids', '1'),
    (e: { code: number; stderr: string }) => e.code === 1 && /^error: not found: \/nonexistent-model /m.test(e.stderr),
  );
  await assert.rejects(
    cli('logits', '--model', MODEL, '--ids', '1,99999'),
    (e: { code: number; stderr: string }) =>
      e.code === 1 && /token id 99999 is outside the vocabulary \(0\.\.1023\)/.test(e.stderr),
  );
  await assert.rejects(
    cli('generate', '--model', MODEL, '--ids', '1,2,3', '--max-tokens', '600', '--greedy'),
    (e: { code: number; stderr: string }) => e.code === 1 && /exceed the context of 512/.test(e.stderr),
  );
});

test('cli info on a .gguf file prints its config, architecture and tensor types; convert turns it into shards that give the same config', async () => {
  const f = GGUF_FIXTURES.find((g) => g.linear === 'TQ2_0')!;
  const { stdout } = await cli('info', '--model', `${GGUF}${f.file}`);
  const info = JSON.parse(stdout);
  assert.deepEqual(info.gguf, { architecture: f.architecture, tensorTypes: f.types });
  assert.equal(info.config.vocabSize, 1024);

  const out = path.join(temporaryDirectory(), 'converted');
  await cli('convert', `${GGUF}${f.file}`, out);
  assert.deepEqual(JSON.parse((await cli('info', '--model', out)).stdout), { config: info.config });
});

test('cli logits on a .gguf file matches transformers', async () => {
  const c = cases[0];
  const { stdout } = await cli(
    'logits',
    '--model',
    `${GGUF}tiny-a-i2_s.gguf`,
    '--ids',
    c.input_ids.join(','),
    ...EXACT,
  );
  const { logits } = JSON.parse(stdout) as { logits: number[] };
  assert.equal(logits.length, c.last_logits.length);
  const maxDiff = Math.max(...logits.map((v, i) => Math.abs(v - c.last_logits[i])));
  assert.ok(maxDiff <= 1.5, `max |diff| ${maxDiff}`);
});
