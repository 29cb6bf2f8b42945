// The load path as one pipeline. Before it, the caller locates the model's files
// (engine/modelLocation.ts, node/modelLocation.ts); after it, the tensors go to the upload
// (BitNetModel.load). Its stages, each a module:
//   open     our shards (manifestSource.ts) or a checkpoint we convert (checkpointFormats.ts)
//   convert  a checkpoint into our shards, in the GPU layout (convert.ts)
//   cache    the shards in a ShardStore, verified, under the model's name (modelCache.ts)
//   tensors  read from the cache, each shard checked again as the upload reaches it
// Without a store (a folder or a .gguf file on disk) the files are read in place instead: shards as the upload
// reaches them, a checkpoint's tensors converted one at a time.
import type { ModelFiles } from './byteSource.ts';
import { openCheckpoint } from './checkpointFormats.ts';
import { convertToShards } from './convert.ts';
import { holdsShards, openShards } from './manifestSource.ts';
import { ModelCache, type DownloadProgress } from './modelCache.ts';
import type { OpenedModel } from './modelSource.ts';
import type { ShardStore } from './shardStore.ts';

/** Progress of the stages before the upload: bytes downloaded and verified, or tensors converted. */
export type OpenProgress = DownloadProgress | { phase: 'convert'; done: number; total: number };

export interface OpenOptions {
  /** Cache for remote models; without it files are read in place (a local directory or .gguf file). */
  store?: ShardStore;
  /** The name the model is cached under (its URL or repo id); default: the files' location. */
  cacheKey?: string;
  onProgress?: (p: OpenProgress) => void;
  /** Cancels downloads. */
  signal?: AbortSignal;
  /**
   * Check each shard's SHA-256 whenever it is read from a local folder or the cache (default
   * true; sizes are always checked). false is for folders you trust: it saves hashing every byte
   * of the model on each load (see the README).
   */
  verifyShardHashes?: boolean;
}

/**
 * Opens the model in `files` as tensors for the upload. With a store, the model is cached as our
 * shards: ours are downloaded once (the manifest is refreshed on each load, and only shards missing
 * from the cache are fetched); a checkpoint in another format is converted once, and a complete
 * cached copy is used as it is. Offline, a model the cache holds complete loads from there.
 */
export async function openModel(files: ModelFiles, options: OpenOptions = {}): Promise<OpenedModel> {
  const { store, onProgress, signal } = options;
  const verifyShardHashes = options.verifyShardHashes ?? true;
  if (!store) return openInPlace(files, verifyShardHashes);

  const cache = new ModelCache(store, options.cacheKey ?? files.location);
  const ours = await holdsShards(files).catch(async (err) => {
    if (await cache.isComplete()) return true; // offline: the cache holds our shards
    throw err;
  });
  if (ours) {
    await cache.download(files, { onProgress, signal });
  } else if (!(await cache.isComplete())) {
    const checkpoint = await openCheckpoint(files);
    await convertToShards(checkpoint, cache.writer(), {
      onProgress: ({ done, total }) => onProgress?.({ phase: 'convert', done, total }),
    });
  }
  return cache.open({ verifyShardHashes });
}

/** Without a cache (a folder or file on disk): our shards, or a checkpoint whose tensors are converted as they are read. */
async function openInPlace(files: ModelFiles, verifyShardHashes: boolean): Promise<OpenedModel> {
  return (await holdsShards(files)) ? openShards(files, { verifyShardHashes }) : openCheckpoint(files);
}
