import { IntegrityError } from '../errors.ts';
import { FetchError, MAX_TEXT_FILE_BYTES, fileLocation, type ModelFiles } from './byteSource.ts';
import { checkShard } from './shardIntegrity.ts';
import { parseManifest, type Manifest } from './manifest.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import { explainQuota, type ShardStore } from './shardStore.ts';
import { convertModel } from './convert.ts';
import { openHuggingFaceCheckpoint } from './huggingFaceCheckpoint.ts';

/**
 * `download`: bytes of the model's files in the cache or arrived (the total is every file the
 * cache will hold, as listCachedModels counts them); `verify`: bytes of shards whose SHA-256 and
 * size matched (cached shards count as verified here: they are hashed again when read, see
 * cachedShardReader); `convert`: tensors of a Hugging Face checkpoint converted into shards.
 */
export interface FetchProgress {
  phase: 'download' | 'verify' | 'convert';
  done: number;
  total: number;
  /** The file that just made progress, while downloading. */
  file?: string;
}

const key = (model: string, file: string) => `${model}\n${file}`;
/** Shards are cached under their hash too, so a changed file on the server is never mistaken for the cached one. */
const shardKey = (model: string, s: { file: string; sha256: string }) => key(model, `${s.file}#${s.sha256}`);
const MANIFEST = 'manifest.json';

/** A cached text file of `model` (manifest, tokenizer files), or undefined (also if it grew past any text file's size). */
export async function readCachedText(store: ShardStore, model: string, file: string): Promise<string | undefined> {
  const bytes = await store.get(key(model, file), MAX_TEXT_FILE_BYTES);
  return bytes && new TextDecoder().decode(bytes);
}

async function storeText(store: ShardStore, model: string, file: string, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  await store.set(key(model, file), bytes).catch((e) => explainQuota(e, bytes.byteLength));
}

/**
 * Makes sure every file of a sharded model is in `store`, verified: the manifest and tokenizer
 * files are refreshed from the network when it answers (the cached copy is used offline); each
 * shard missing from the cache is downloaded (several at once), checked against its SHA-256 and
 * size, fetched once more if it fails, and stored only once it passes. A later load finds every
 * shard cached and downloads no weights; an interrupted load fetches only what is missing.
 */
export async function fetchModelToCache(
  files: ModelFiles,
  model: string,
  store: ShardStore,
  options: { onProgress?: (p: FetchProgress) => void; signal?: AbortSignal; concurrency?: number } = {},
): Promise<Manifest> {
  let manifestText: string;
  let manifestFile = fileLocation(files, MANIFEST);
  try {
    manifestText = await files.readText(MANIFEST);
  } catch (err) {
    const cached = await readCachedText(store, model, MANIFEST);
    if (!(err instanceof FetchError) || cached === undefined) throw err;
    manifestText = cached; // offline: the cached model is complete or the load fails below
    manifestFile = `cached ${MANIFEST} of ${model}`;
  }
  const { manifest } = parseManifest(parseJsonFile(manifestText, manifestFile), manifestFile);
  // The small text files come first, so the download's total is every file the cache will hold.
  const texts: [string, string][] = [];
  for (const file of manifest.tokenizerFiles) {
    const text = await files.readText(file).catch(async (err) => {
      const cached = await readCachedText(store, model, file);
      if (cached === undefined) throw err;
      return cached;
    });
    texts.push([file, text]);
  }
  const shardBytes = manifest.shards.reduce((n, s) => n + s.bytes, 0);
  const textBytes = [manifestText, ...texts.map(([, text]) => text)].reduce(
    (n, text) => n + new TextEncoder().encode(text).byteLength,
    0,
  );
  const total = shardBytes + textBytes;
  let done = textBytes;
  let verified = 0;
  const missing: number[] = [];
  for (const [i, s] of manifest.shards.entries()) {
    const cached = await store.get(shardKey(model, s), s.bytes);
    if (cached?.byteLength === s.bytes) {
      done += s.bytes;
      verified += s.bytes;
    } else missing.push(i);
  }
  options.onProgress?.({ phase: 'download', done, total });
  const fetchShard = async (i: number) => {
    const s = manifest.shards[i];
    for (let attempt = 1; ; attempt++) {
      let got = 0;
      let bytes: Uint8Array;
      try {
        bytes = await files.download(
          s.file,
          s.bytes,
          (n) => {
            got += n;
            done += n;
            options.onProgress?.({ phase: 'download', done: Math.min(done, total), total, file: s.file });
          },
          options.signal,
        );
        await checkShard(fileLocation(files, s.file), s, bytes);
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        done -= got; // this attempt does not count
        if (attempt === 2)
          throw new IntegrityError(
            `${err.message} twice; the file on the server is damaged or does not belong to this manifest`,
          );
        continue;
      }
      verified += s.bytes;
      options.onProgress?.({ phase: 'verify', done: verified, total: shardBytes, file: s.file });
      await store.set(shardKey(model, s), bytes).catch((e) => explainQuota(e, total));
      return;
    }
  };
  const queue = [...missing];
  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, queue.length) }, async () => {
    while (queue.length) await fetchShard(queue.shift()!);
  });
  // Let every download finish or fail: good shards are kept, so the next load resumes from them.
  const failed = (await Promise.allSettled(workers)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  for (const [file, text] of texts) await storeText(store, model, file, text);
  // Written last: a cached manifest means every shard it lists was stored and verified.
  await storeText(store, model, MANIFEST, manifestText);
  return manifest;
}

/**
 * Converts a Hugging Face checkpoint (read by HTTP range requests) into our shards straight into
 * the cache: the browser needs no separate conversion step. Tokenizer files are cached with it.
 */
export async function convertToCache(
  files: ModelFiles,
  model: string,
  store: ShardStore,
  options: { onProgress?: (p: FetchProgress) => void } = {},
): Promise<Manifest> {
  const source = await openHuggingFaceCheckpoint(files);
  const configJson = parseJsonFile(await files.readText('config.json'), 'config.json') as Record<string, unknown>;
  const tokenizerFiles: string[] = [];
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    if (await files.has(file)) {
      await storeText(store, model, file, await files.readText(file));
      tokenizerFiles.push(file);
    }
  }
  const manifest = await convertModel(
    source,
    configJson,
    tokenizerFiles,
    (shard, bytes) => store.set(shardKey(model, shard), bytes).catch((e) => explainQuota(e, shard.bytes)),
    {
      onProgress: (p) => options.onProgress?.({ phase: 'convert', done: p.done, total: p.total }),
    },
  );
  await storeText(store, model, MANIFEST, JSON.stringify(manifest));
  return manifest;
}

/**
 * Reads shard `i` of a cached model, checking its size and (unless `hash` is false) its SHA-256
 * every time: a disk or another program may have changed it since it was stored.
 */
export function cachedShardReader(
  store: ShardStore,
  model: string,
  manifest: Manifest,
  hash = true,
): (i: number) => Promise<Uint8Array> {
  return async (i) => {
    const s = manifest.shards[i];
    const bytes = await store.get(shardKey(model, s), s.bytes);
    const name = `cached ${s.file} of ${model}`;
    if (!bytes)
      throw new IntegrityError(
        `${name} is missing or not ${s.bytes} bytes; delete the model from the cache (deleteCachedModel) and load it again`,
      );
    await checkShard(name, s, bytes, hash).catch((err: Error) => {
      throw new IntegrityError(`${err.message}; delete the model from the cache (deleteCachedModel) and load it again`);
    });
    return bytes;
  };
}

export interface CachedModel {
  /** The key the model was loaded under (its URL or repo id). */
  model: string;
  /** Bytes of all its cached files. */
  bytes: number;
  /** Whether its manifest is cached, i.e. every shard was stored and verified. */
  complete: boolean;
}

/** Models in the cache, with their sizes. */
export async function listCachedModels(store: ShardStore): Promise<CachedModel[]> {
  const byModel = new Map<string, CachedModel>();
  for (const k of await store.keys()) {
    const [model, file] = k.split('\n');
    const entry = byModel.get(model) ?? { model, bytes: 0, complete: false };
    entry.bytes += (await store.get(k))?.byteLength ?? 0;
    if (file === MANIFEST) entry.complete = true;
    byModel.set(model, entry);
  }
  return [...byModel.values()];
}

/** Deletes every cached file of `model` (the manifest first, so a half-deleted model is never used). */
export async function deleteCachedModel(store: ShardStore, model: string): Promise<void> {
  await store.delete(key(model, MANIFEST));
  for (const k of await store.keys()) if (k.startsWith(`${model}\n`)) await store.delete(k);
}
