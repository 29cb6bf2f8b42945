// Broken model folders on disk (our converted format and Hugging Face checkpoints) are refused
// with typed errors that name the file, fast, and without reading more than the files declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEngine, directoryFiles } from '../src/node/index.ts';
import { openModel } from '../src/loader/openModel.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { syntheticCheckpoint, syntheticConverted, SMALL_SHAPE, type SyntheticOptions } from './syntheticCheckpoint.ts';
import { writeModelFolder } from './modelFolders.ts';
import { testGpuContext } from './gpuContext.ts';

const SMALL: SyntheticOptions = { ...SMALL_SHAPE, seed: 41 };
const EMBEDDED = new URL('../public/models/bitnet-b1.58-en-11m/', import.meta.url).pathname;

/** A converted model's folder, after `damage` edits it. */
async function convertedFolder(damage: (dir: string, shards: string[]) => void = () => {}): Promise<string> {
  const { files, manifest } = await syntheticConverted(SMALL, 8 * 1024);
  const dir = writeModelFolder(files);
  damage(
    dir,
    manifest.shards.map((s) => s.file),
  );
  return dir;
}

/** A copy of the embedded model (with its tokenizer), after `damage` edits it. */
function embeddedFolder(damage: (dir: string) => void): string {
  const dir = writeModelFolder(new Map(readdirSync(EMBEDDED).map((f) => [f, readFileSync(path.join(EMBEDDED, f))])));
  damage(dir);
  return dir;
}

/** Loads a folder onto the GPU (shards are read only then); resolves when the model loaded. */
async function loadFolder(dir: string, options: { verifyShardHashes?: boolean } = {}): Promise<void> {
  const { source } = await openModel(directoryFiles(dir), options);
  (await BitNetModel.load(await testGpuContext(), source)).dispose();
}

async function rejectsFast(run: () => Promise<unknown>, name: string, message: RegExp): Promise<void> {
  const t0 = performance.now();
  await assert.rejects(run, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.match(e.message, message);
    return true;
  });
  assert.ok(performance.now() - t0 < 5000, `took ${(performance.now() - t0).toFixed(0)} ms`);
}

const editJson = (file: string, edit: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
};

test('a converted folder: a manifest that is not JSON, shards named . or .., missing and directory shards', async () => {
  await rejectsFast(
    async () =>
      loadFolder(
        await convertedFolder((dir) => writeFileSync(path.join(dir, 'manifest.json'), '{"format": "bitnet-webgpu",')),
      ),
    'ModelFormatError',
    /manifest\.json: not valid JSON/,
  );
  for (const name of ['.', '..', '.hidden']) {
    const dir = await convertedFolder((d) =>
      editJson(path.join(d, 'manifest.json'), (m) => ((m.shards as { file: string }[])[0].file = name)),
    );
    await rejectsFast(
      () => loadFolder(dir),
      'ModelFormatError',
      new RegExp(`manifest\\.json: shards\\[0\\]\\.file "${name.replace(/\./g, '\\.')}" is not a plain file name`),
    );
  }
  await rejectsFast(
    async () => loadFolder(await convertedFolder((dir, shards) => rmSync(path.join(dir, shards[1])))),
    'ModelFormatError',
    /shard-00001\.bin: does not exist/,
  );
  const asDirectory = (dir: string, shards: string[]) => {
    rmSync(path.join(dir, shards[0]));
    mkdirSync(path.join(dir, shards[0]));
  };
  await rejectsFast(
    async () => loadFolder(await convertedFolder(asDirectory)),
    'ModelFormatError',
    /shard-00000\.bin: is not a regular file/,
  );
});

test('a converted folder: shards of the wrong size are refused before they are read, a changed byte by its SHA-256 unless hashing is off', async () => {
  // 3 GiB, sparse: reading it whole would take seconds and 3 GiB of memory (and fail past 2 GiB)
  const huge = await convertedFolder((dir, shards) => truncateSync(path.join(dir, shards[0]), 3 * 2 ** 30));
  await rejectsFast(
    () => loadFolder(huge),
    'IntegrityError',
    /shard-00000\.bin: 3221225472 bytes, the manifest says \d+$/,
  );
  const short = await convertedFolder((dir, shards) => truncateSync(path.join(dir, shards[2]), 100));
  await rejectsFast(
    () => loadFolder(short),
    'IntegrityError',
    /shard-00002\.bin: 100 bytes, the manifest says \d+ \(truncated\?\)/,
  );
  const flip = (dir: string, shards: string[]) => {
    const file = path.join(dir, shards[1]);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x10;
    writeFileSync(file, bytes);
  };
  const flipped = await convertedFolder(flip);
  await rejectsFast(
    () => loadFolder(flipped),
    'IntegrityError',
    /shard-00001\.bin: SHA-256 does not match the manifest/,
  );
  await loadFolder(flipped, { verifyShardHashes: false }); // a trusted folder: only sizes are checked
  await loadFolder(await convertedFolder());
});

test('tokenizer files: missing or not JSON, in a converted folder and in a checkpoint folder', async () => {
  const gpu = await testGpuContext();
  const load = (dir: string) => createEngine({ model: dir, gpu }).then((engine) => engine.dispose());
  await rejectsFast(
    () => load(embeddedFolder((dir) => rmSync(path.join(dir, 'tokenizer.json')))),
    'ModelFormatError',
    /tokenizer\.json: does not exist/,
  );
  await rejectsFast(
    () => load(embeddedFolder((dir) => writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": '))),
    'ModelFormatError',
    /^tokenizer\.json: not valid JSON/,
  );
  await rejectsFast(
    () => load(embeddedFolder((dir) => writeFileSync(path.join(dir, 'tokenizer_config.json'), 'chat_template'))),
    'ModelFormatError',
    /^tokenizer_config\.json: not valid JSON/,
  );
  const checkpoint = syntheticCheckpoint(SMALL).bytes;
  const hfDir = writeModelFolder(new Map<string, Uint8Array | string>([...checkpoint, ['tokenizer.json', '[[[']]));
  await rejectsFast(() => load(hfDir), 'ModelFormatError', /^tokenizer\.json: not valid JSON/);
});

test('a checkpoint folder: config.json not JSON, an index naming a missing shard', async () => {
  const broken = writeModelFolder(
    new Map<string, Uint8Array | string>([
      ...syntheticCheckpoint(SMALL).bytes,
      ['config.json', '{"model_type": "bitnet"'],
    ]),
  );
  await rejectsFast(() => openModel(directoryFiles(broken)), 'ModelFormatError', /^config\.json: not valid JSON/);
  const sharded = syntheticCheckpoint({ ...SMALL, shards: 2 }).bytes;
  sharded.delete('model-00002-of-00002.safetensors');
  await rejectsFast(
    () => openModel(directoryFiles(writeModelFolder(sharded))),
    'ModelFormatError',
    /model\.safetensors\.index\.json: weight_map names model-00002-of-00002\.safetensors, which is not in /,
  );
});
