import { IntegrityError } from '../errors.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import { FetchError, MAX_TEXT_FILE_BYTES, fileLocation, type ModelFiles } from './byteSource.ts';
import type { ShardWriter } from './convert.ts';
import { MANIFEST_FILE, parseManifest, type Manifest, type ManifestShard } from './manifest.ts';
import { ManifestTensorSource } from './manifestSource.ts';
import type { OpenedModel } from './modelSource.ts';
import { checkShard } from './shardIntegrity.ts';
import { explainQuota, type ShardStore } from './shardStore.ts';

/**
 * `download`: bytes of the model's files in the cache or arrived (the total is every file the
 * cache will hold, as listCachedModels counts them); `verify`: bytes of shards whose SHA-256 and
 * size matched (cached shards count as verified here: they are hashed again when read, see
 * ModelCache.open).
 */
export interface DownloadProgress {
  phase: 'download' | 'verify';
  done: number;
  total: number;
  /** The file that just made progress, while downloading. */
  file?: string;
}

const key = (model: string, file: string) => `${model}\n${file}`;
/** Shards are cached under their hash too, so a changed file on the server is never mistaken for the cached one. */
const shardKey = (model: string, s: { file: string; sha256: string }) => key(model, `${s.file}#${s.sha256}`);

/**
 * The cache stage of the load: one model's files in a ShardStore, under the name it is loaded by
 * (its URL or repo id). The store holds the model as our shards, verified, and its manifest is
 * written last: a cached manifest means every shard it lists was stored and verified.
 */
export class ModelCache {
  constructor(
    private readonly store: ShardStore,
    readonly model: string,
  ) {}

  /** Whether the cache holds the model complete (a manifest that grew past any text file's size is no manifest). */
  async isComplete(): Promise<boolean> {
    return (await this.readText(MANIFEST_FILE)) !== undefined;
  }

  /**
   * Our shards from `files` into the cache: the manifest and tokenizer files are refreshed from
   * the network when it answers (the cached copy is used offline); each shard missing from the
   * cache is downloaded (several at once), checked against its SHA-256 and size, fetched once
   * more if it fails, and stored only once it passes. A later load finds every shard cached and
   * downloads no weights; an interrupted load fetches only what is missing.
   */
  async download(
    files: ModelFiles,
    options: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal; concurrency?: number } = {},
  ): Promise<void> {
    let manifestText: string;
    let manifestFile = fileLocation(files, MANIFEST_FILE);
    try {
      manifestText = await files.readText(MANIFEST_FILE);
    } catch (err) {
      const cached = await this.readText(MANIFEST_FILE);
      if (!(err instanceof FetchError) || cached === undefined) throw err;
      manifestText = cached; // offline: the cached model is complete or the load fails below
      manifestFile = this.cachedName(MANIFEST_FILE);
    }
    const { manifest } = parseManifest(parseJsonFile(manifestText, manifestFile), manifestFile);
    // The small text files come first, so the download's total is every file the cache will hold.
    const texts: [string, string][] = [];
    for (const file of manifest.tokenizerFiles) {
      const text = await files.readText(file).catch(async (err) => {
        const cached = await this.readText(file);
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
      const cached = await this.store.get(shardKey(this.model, s), s.bytes);
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
        await this.store.set(shardKey(this.model, s), bytes).catch((e) => explainQuota(e, total));
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
    for (const [file, text] of texts) await this.storeText(file, text);
    await this.storeText(MANIFEST_FILE, manifestText);
  }

  /** Where a converted checkpoint is written (convert.ts): tokenizer files, shards, and the manifest last. */
  writer(): ShardWriter {
    return {
      tokenizerFile: (name, text) => this.storeText(name, text),
      shard: (shard: ManifestShard, bytes: Uint8Array) =>
        this.store.set(shardKey(this.model, shard), bytes).catch((e) => explainQuota(e, shard.bytes)),
      manifest: (manifest) => this.storeText(MANIFEST_FILE, JSON.stringify(manifest)),
    };
  }

  /**
   * The cached model's tensors: each shard is read when the upload reaches it and checked for its
   * size and (unless `verifyShardHashes` is false) its SHA-256 every time, since a disk or another
   * program may have changed it since it was stored.
   */
  async open(options: { verifyShardHashes: boolean }): Promise<OpenedModel> {
    const manifestFile = this.cachedName(MANIFEST_FILE);
    const text = await this.readText(MANIFEST_FILE);
    if (text === undefined)
      throw new IntegrityError(`${manifestFile} is missing; load the model again (from the network) to cache it`);
    const { manifest, config } = parseManifest(parseJsonFile(text, manifestFile), manifestFile);
    return {
      source: new ManifestTensorSource(config, manifest, (i) => this.readShard(manifest, i, options.verifyShardHashes)),
      readTokenizerFile: (name) => this.readText(name),
    };
  }

  private async readShard(manifest: Manifest, i: number, hash: boolean): Promise<Uint8Array> {
    const s = manifest.shards[i];
    const bytes = await this.store.get(shardKey(this.model, s), s.bytes);
    const name = this.cachedName(s.file);
    if (!bytes)
      throw new IntegrityError(
        `${name} is missing or not ${s.bytes} bytes; delete the model from the cache (deleteCachedModel) and load it again`,
      );
    await checkShard(name, s, bytes, hash).catch((err: Error) => {
      throw new IntegrityError(`${err.message}; delete the model from the cache (deleteCachedModel) and load it again`);
    });
    return bytes;
  }

  /** How a cached file is named in messages. */
  private cachedName(file: string): string {
    return `cached ${file} of ${this.model}`;
  }

  /** A cached text file (manifest, tokenizer files), or undefined (also if it grew past any text file's size). */
  private async readText(file: string): Promise<string | undefined> {
    const bytes = await this.store.get(key(this.model, file), MAX_TEXT_FILE_BYTES);
    return bytes && new TextDecoder().decode(bytes);
  }

  private async storeText(file: string, text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    await this.store.set(key(this.model, file), bytes).catch((e) => explainQuota(e, bytes.byteLength));
  }
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
    if (file === MANIFEST_FILE) entry.complete = true;
    byModel.set(model, entry);
  }
  return [...byModel.values()];
}

/** Deletes every cached file of `model` (the manifest first, so a half-deleted model is never used). */
export async function deleteCachedModel(store: ShardStore, model: string): Promise<void> {
  await store.delete(key(model, MANIFEST_FILE));
  for (const k of await store.keys()) if (k.startsWith(`${model}\n`)) await store.delete(k);
}
