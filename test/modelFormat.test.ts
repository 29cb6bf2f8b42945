// Our sharded format: the converter, the manifest parser, and the verified cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../src/loader/manifest.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import { openModel } from '../src/loader/openModel.ts';
import { ModelCache, listCachedModels, deleteCachedModel, type DownloadProgress } from '../src/loader/modelCache.ts';
import { memoryStore, type ShardStore } from '../src/loader/shardStore.ts';
import type { ModelFiles } from '../src/loader/byteSource.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import { memoryFiles, syntheticCheckpoint, syntheticConverted, type SyntheticOptions } from './syntheticCheckpoint.ts';
import { testGpuContext } from './gpuContext.ts';

const SHAPE: SyntheticOptions = {
  hidden: 128,
  intermediate: 192,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  vocab: 300,
  tied: false,
  mode: 'bitlinear',
  seed: 31,
};

const converted = () => syntheticConverted(SHAPE);

/** Files that count downloads per file and can serve a damaged copy. */
function countingFiles(
  files: Map<string, Uint8Array>,
  damage: (file: string, attempt: number, bytes: Uint8Array) => Uint8Array = (_, __, b) => b,
) {
  const base = memoryFiles('https://example.test/model/', files);
  const downloads = new Map<string, number>();
  const wrapped: ModelFiles = {
    ...base,
    async download(file, size, onBytes) {
      const n = (downloads.get(file) ?? 0) + 1;
      downloads.set(file, n);
      const bytes = damage(file, n, (await base.download(file, size)).slice());
      onBytes?.(bytes.byteLength);
      return bytes;
    },
  };
  return { files: wrapped, downloads };
}

test('converting twice gives identical shards, and the converted model computes what the checkpoint computes', async () => {
  const a = await converted();
  const b = await converted();
  assert.ok(a.manifest.shards.length >= 3, `expected several shards, got ${a.manifest.shards.length}`);
  for (const [name, bytes] of a.files) assert.deepEqual(bytes, b.files.get(name), `${name} differs`);
  const ctx = await testGpuContext();
  const ids = [1, 5, 9, 200, 17, 3];
  const fromHf = await BitNetModel.load(ctx, await openHuggingFaceCheckpoint(syntheticCheckpoint(SHAPE).files));
  const fromShards = await BitNetModel.load(ctx, (await openModel(memoryFiles('converted/', a.files))).source);
  try {
    assert.deepEqual(await fromShards.logits(ids, 'all'), await fromHf.logits(ids, 'all'));
  } finally {
    fromHf.dispose();
    fromShards.dispose();
  }
});

test('malformed manifests are refused with the field named', async () => {
  const { manifest } = await converted();
  const bad = (patch: object) => () => parseManifest({ ...structuredClone(manifest), ...patch });
  assert.throws(bad({ format: 'gguf' }), { name: 'ModelFormatError', message: /manifest\.json: format is "gguf"/ });
  assert.throws(bad({ version: 99 }), {
    name: 'ModelFormatError',
    message: /version 99 is not supported .*convert the model again/,
  });
  assert.throws(() => parseManifest('nope'), { name: 'ModelFormatError', message: /expected a JSON object/ });
  const t = structuredClone(manifest.tensors);
  t[2].bytes += 4;
  assert.throws(bad({ tensors: t }), { message: /tensors\[2\] \(.*\): \d+ bytes do not match a \w+ of/ });
  const t2 = structuredClone(manifest.tensors);
  t2[0].offset = manifest.shards[0].bytes;
  assert.throws(bad({ tensors: t2 }), { message: /lie outside shard 0/ });
  const s = structuredClone(manifest.shards);
  s[0].file = '../../etc/passwd';
  assert.throws(bad({ shards: s }), {
    message: /shards\[0\]\.file "\.\.\/\.\.\/etc\/passwd" is not a plain file name/,
  });
  for (const file of ['.', '..'])
    assert.throws(bad({ shards: [{ ...s[0], file }] }), {
      message: /shards\[0\]\.file "\.+" is not a plain file name/,
    });
  assert.throws(bad({ shards: [{ ...manifest.shards[0], bytes: 2 ** 40 }] }), {
    message: /shards\[0\]\.bytes must be a positive integer up to 4294967296/,
  });
  // a manifest that lacks a tensor the config needs: refused before any upload
  const missing = {
    ...structuredClone(manifest),
    tensors: manifest.tensors.filter((x) => x.name !== 'model.layers.2.mlp.down_proj'),
  };
  const files = new Map([['manifest.json', new TextEncoder().encode(JSON.stringify(missing))]]);
  const { source } = await openModel(memoryFiles('m/', files));
  await assert.rejects(BitNetModel.load(await testGpuContext(), source), {
    name: 'ModelFormatError',
    message: /tensor model\.layers\.2\.mlp\.down_proj is missing/,
  });
});

test('the cache downloads each shard once, resumes, and never keeps a damaged shard', async () => {
  const { files, manifest } = await converted();
  const store = memoryStore();
  const model = 'https://example.test/model/';
  // first load: every shard once; download progress monotonic up to what the cache then holds,
  // verification up to every shard
  const first = countingFiles(files);
  const seen: DownloadProgress[] = [];
  await new ModelCache(store, model).download(first.files, { onProgress: (p) => seen.push(p), concurrency: 2 });
  for (const s of manifest.shards) assert.equal(first.downloads.get(s.file), 1, s.file);
  for (const phase of ['download', 'verify'] as const) {
    const done = seen.filter((p) => p.phase === phase).map((p) => p.done);
    assert.ok(
      done.every((v, i) => i === 0 || v >= done[i - 1]),
      `${phase} progress went backwards`,
    );
  }
  const lastDownload = seen.filter((p) => p.phase === 'download').at(-1)!;
  assert.equal(lastDownload.done, lastDownload.total);
  assert.equal(lastDownload.total, (await listCachedModels(store))[0].bytes);
  assert.equal(
    seen.filter((p) => p.phase === 'verify').at(-1)?.done,
    manifest.shards.reduce((n, s) => n + s.bytes, 0),
  );
  // second load: no shard downloaded
  const second = countingFiles(files);
  await new ModelCache(store, model).download(second.files);
  assert.equal(second.downloads.size, 0);
  // interrupted load: only the missing shard is fetched
  const victim = manifest.shards[1];
  await store.delete((await store.keys()).find((k) => k.includes(victim.file))!);
  const third = countingFiles(files);
  await new ModelCache(store, model).download(third.files);
  assert.deepEqual([...third.downloads.keys()], [victim.file]);
  // a flipped byte: rejected, fetched again, and the good copy is kept
  const fresh = memoryStore();
  const flipped = countingFiles(files, (file, attempt, bytes) => {
    if (file === victim.file && attempt === 1) bytes[7] ^= 0x40;
    return bytes;
  });
  await new ModelCache(fresh, model).download(flipped.files);
  assert.equal(flipped.downloads.get(victim.file), 2);
  const { source } = await openModel(memoryFiles(model, files), { store: fresh, cacheKey: model });
  assert.ok(source.has('model.norm.weight'));
  // always truncated: a clear error, no manifest cached (the model is never served half-written)
  const broken = memoryStore();
  const truncated = countingFiles(files, (file, _a, bytes) => (file === victim.file ? bytes.subarray(0, 100) : bytes));
  await assert.rejects(new ModelCache(broken, model).download(truncated.files), {
    name: 'IntegrityError',
    message: new RegExp(`${victim.file}: 100 bytes, the manifest says ${victim.bytes} \\(truncated\\?\\) twice`),
  });
  assert.equal((await listCachedModels(broken))[0]?.complete, false);
  // ... and once the server is fixed, only that shard is fetched
  const fixed = countingFiles(files);
  await new ModelCache(broken, model).download(fixed.files);
  assert.deepEqual([...fixed.downloads.keys()], [victim.file]);
});

test('a full disk gives an error that says how much space is needed and how to free it', async () => {
  const { files } = await converted();
  const full: ShardStore = {
    ...memoryStore(),
    set: async () =>
      Promise.reject(Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' })),
  };
  await assert.rejects(new ModelCache(full, 'm').download(countingFiles(files).files), {
    name: 'StorageQuotaError',
    message: /not enough storage to cache the model: it needs \d+ MB\..*deleting cached models/,
  });
});

test('cached models are listed with their sizes and can be deleted', async () => {
  const { files, manifest } = await converted();
  const store = memoryStore();
  await new ModelCache(store, 'a').download(countingFiles(files).files);
  await new ModelCache(store, 'b').download(countingFiles(files).files);
  const listed = await listCachedModels(store);
  assert.deepEqual(
    listed.map((m) => [m.model, m.complete]),
    [
      ['a', true],
      ['b', true],
    ],
  );
  const shardBytes = manifest.shards.reduce((n, s) => n + s.bytes, 0);
  assert.ok(listed[0].bytes >= shardBytes, `${listed[0].bytes} < ${shardBytes}`);
  await deleteCachedModel(store, 'a');
  assert.deepEqual(
    (await listCachedModels(store)).map((m) => m.model),
    ['b'],
  );
});
