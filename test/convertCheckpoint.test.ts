// `convert SRC OUT` never replaces what it did not write without --force, never deletes its
// source, and leaves no partial folders behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint } from '../src/node/convertCheckpoint.ts';
import { syntheticCheckpoint, SMALL_SHAPE, type SyntheticOptions } from './syntheticCheckpoint.ts';
import { temporaryDirectory, writeModelFolder } from './modelFolders.ts';

const SMALL: SyntheticOptions = { ...SMALL_SHAPE, seed: 61 };
const checkpoint = () => writeModelFolder(syntheticCheckpoint(SMALL).bytes);
/** A pid no process has: above Linux's largest pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 1;

test('an existing file or folder is replaced only with force, and force replaces only an earlier conversion', async () => {
  const src = checkpoint();
  const dir = temporaryDirectory();
  const file = path.join(dir, 'notes.txt');
  writeFileSync(file, 'mine');
  await assert.rejects(convertCheckpoint(src, file), {
    name: 'InvalidArgumentError',
    message: /notes\.txt exists and is not a folder; pass --force to replace it/,
  });
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  await convertCheckpoint(src, file, { force: true });
  assert.ok(existsSync(path.join(file, 'manifest.json')));

  const earlier = path.join(dir, 'converted');
  await convertCheckpoint(src, earlier);
  await assert.rejects(convertCheckpoint(src, earlier), {
    name: 'InvalidArgumentError',
    message: /exists and is not empty; pass --force/,
  });
  await convertCheckpoint(src, earlier, { force: true });
  writeFileSync(path.join(earlier, 'README.md'), 'notes');
  await assert.rejects(convertCheckpoint(src, earlier, { force: true }), {
    name: 'InvalidArgumentError',
    message: /holds files convert did not write \(README\.md\)/,
  });
  assert.ok(existsSync(path.join(earlier, 'README.md')));
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  await convertCheckpoint(src, empty);
});

test('the source itself, or a folder above it, is never the output, even with force', async () => {
  const parent = temporaryDirectory();
  const src = path.join(parent, 'checkpoint');
  mkdirSync(src);
  for (const [name, bytes] of syntheticCheckpoint(SMALL).bytes) writeFileSync(path.join(src, name), bytes);
  writeFileSync(path.join(parent, 'sibling.txt'), 'keep');
  for (const out of [src, `${src}/`, parent, path.join(src, '..')]) {
    await assert.rejects(convertCheckpoint(src, out, { force: true }), {
      name: 'InvalidArgumentError',
      message: /or a folder above it: replacing it would delete the checkpoint/,
    });
  }
  assert.deepEqual(readdirSync(src).sort(), ['config.json', 'model.safetensors']);
  assert.ok(existsSync(path.join(parent, 'sibling.txt')));
});

test('a cancelled conversion leaves nothing; partial folders of killed conversions are removed', async () => {
  const src = checkpoint();
  const dir = temporaryDirectory();
  const out = path.join(dir, 'out');
  const controller = new AbortController();
  await assert.rejects(convertCheckpoint(src, out, { signal: controller.signal, log: () => controller.abort() }), {
    name: 'BitNetError',
    code: 'aborted',
  });
  assert.deepEqual(readdirSync(dir), []);
  // a killed conversion's folder is removed; one of a running process (our parent) is not
  mkdirSync(`${out}.partial-${DEAD_PID}`);
  mkdirSync(`${out}.partial-${process.ppid}`);
  await convertCheckpoint(src, out);
  assert.deepEqual(readdirSync(dir).sort(), ['out', `out.partial-${process.ppid}`]);
});
