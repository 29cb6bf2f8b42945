import { fileLocation, type ModelFiles } from './byteSource.ts';
import type { ModelTensorSource } from '../model/tensorPlan.ts';
import { openHuggingFaceCheckpoint } from './huggingFaceCheckpoint.ts';
import { parseManifest } from './manifest.ts';
import { ManifestTensorSource } from './manifestSource.ts';
import {
  cachedShardReader,
  convertToCache,
  fetchModelToCache,
  readCachedText,
  type FetchProgress,
} from './modelCache.ts';
import type { ShardStore } from './shardStore.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import { checkShard } from './shardIntegrity.ts';

export interface OpenedModel {
  source: ModelTensorSource;
  /** A tokenizer file's text, or undefined if the model has none. */
  readTokenizerFile(name: string): Promise<string | undefined>;
}

export interface OpenOptions {
  /** Cache for remote models; without it files are read in place (a local directory). */
  store?: ShardStore;
  /** The name the model is cached under (its URL or repo id). */
  cacheKey?: string;
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
  /**
   * Check each shard's SHA-256 whenever it is read from a local folder or the cache (default
   * true; sizes are always checked). false is for folders you trust: it saves hashing every byte
   * of the model on each load (see the README).
   */
  verifyShardHashes?: boolean;
}

/**
 * Finds out what `files` hold and opens it as a tensor source:
 * - our sharded format (manifest.json): with a store, shards are fetched once, verified and cached;
 * - a Hugging Face checkpoint: with a store it is converted into cached shards on the fly,
 *   otherwise (a local directory) read in place.
 */
export async function openModel(files: ModelFiles, options: OpenOptions = {}): Promise<OpenedModel> {
  const { store } = options;
  const cacheKey = options.cacheKey ?? files.location;
  const hasManifest = await files.has('manifest.json').catch(async (err) => {
    // offline: a cached model can still be used
    if (store && (await readCachedText(store, cacheKey, 'manifest.json')) !== undefined) return true;
    throw err;
  });
  if (!hasManifest && !store) {
    const source = await openHuggingFaceCheckpoint(files);
    return { source, readTokenizerFile: async (name) => ((await files.has(name)) ? files.readText(name) : undefined) };
  }
  const hash = options.verifyShardHashes ?? true;
  if (!store) {
    const manifestFile = fileLocation(files, 'manifest.json');
    const { manifest, config } = parseManifest(
      parseJsonFile(await files.readText('manifest.json'), manifestFile),
      manifestFile,
    );
    const source = new ManifestTensorSource(config, manifest, async (i) => {
      const s = manifest.shards[i];
      const bytes = await files.download(s.file, s.bytes);
      await checkShard(fileLocation(files, s.file), s, bytes, hash);
      return bytes;
    });
    return {
      source,
      readTokenizerFile: async (name) => (manifest.tokenizerFiles.includes(name) ? files.readText(name) : undefined),
    };
  }
  const manifest = hasManifest
    ? await fetchModelToCache(files, cacheKey, store, { onProgress: options.onProgress, signal: options.signal })
    : ((await cachedManifest(store, cacheKey)) ??
      (await convertToCache(files, cacheKey, store, { onProgress: options.onProgress })));
  const { config } = parseManifest(manifest);
  return {
    source: new ManifestTensorSource(config, manifest, cachedShardReader(store, cacheKey, manifest, hash)),
    readTokenizerFile: (name) => readCachedText(store, cacheKey, name),
  };
}

async function cachedManifest(store: ShardStore, cacheKey: string) {
  const text = await readCachedText(store, cacheKey, 'manifest.json');
  return text === undefined
    ? undefined
    : parseManifest(parseJsonFile(text, `cached manifest.json of ${cacheKey}`), `cached manifest.json of ${cacheKey}`)
        .manifest;
}
