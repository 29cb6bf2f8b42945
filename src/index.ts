// bitnet-webgpu: ternary BitNet b1.58 language models on WebGPU (browser entry).
import { createGpuContext, type GpuContext } from './gpu/context.ts';
import { Engine, type EngineOptions } from './engine/engine.ts';
import { modelFilesFor } from './engine/modelLocation.ts';
import { indexedDbStore, memoryStore, type ShardStore } from './loader/shardStore.ts';
import {
  deleteCachedModel as deleteFromStore,
  listCachedModels as listStore,
  type CachedModel,
} from './loader/modelCache.ts';

export { Engine } from './engine/engine.ts';
export type { EngineOptions, EngineTokenizer } from './engine/engine.ts';
export type * from './engine/types.ts';
export { formatBytes } from './engine/loadProgress.ts';
export { createWorkerEngine, type WorkerEngine, type WorkerEngineOptions } from './engine/workerEngine.ts';
export { createGpuContext, type GpuContext, type GpuCapabilities } from './gpu/context.ts';
import { resolveModelUrl } from './engine/modelLocation.ts';
export { resolveModelUrl };
export * from './errors.ts';
export { FetchError } from './loader/byteSource.ts';
export { StorageQuotaError, indexedDbStore, memoryStore, type ShardStore } from './loader/shardStore.ts';
export type { CachedModel } from './loader/modelCache.ts';
export { BitNetModel } from './model/bitnetModel.ts';
export { openHuggingFaceCheckpoint } from './loader/huggingFaceCheckpoint.ts';
export { httpFiles, type ModelFiles } from './loader/byteSource.ts';
export { convertModel } from './loader/convert.ts';
export { parseManifest, type Manifest } from './loader/manifest.ts';

/** The browser's model cache (IndexedDB), or memory where IndexedDB is missing. */
let defaultStore: ShardStore | undefined;
export function modelCache(): ShardStore {
  defaultStore ??= typeof indexedDB === 'undefined' ? memoryStore() : indexedDbStore();
  return defaultStore;
}

/** Cached models with their sizes in bytes. */
export function listCachedModels(store = modelCache()): Promise<CachedModel[]> {
  return listStore(store);
}

/** Removes one model (by the name it was loaded with) from the cache. */
export function deleteCachedModel(model: string, store = modelCache()): Promise<void> {
  return deleteFromStore(store, resolveCacheName(model));
}

/** Removes every cached model. */
export async function clearModelCache(store = modelCache()): Promise<void> {
  for (const m of await listStore(store)) await deleteFromStore(store, m.model);
}

/** Asks the browser not to evict the cache under storage pressure; resolves to whether it agreed. */
export async function requestPersistentStorage(): Promise<boolean> {
  return (await navigator.storage?.persist?.()) ?? false;
}

/** The key a model string is cached under: its resolved URL. */
export function resolveCacheName(model: string): string {
  return resolveModelUrl(model);
}

/**
 * Loads a model and returns an engine. `model` is a Hugging Face repo id (`org/name`), the URL
 * of a directory holding our manifest.json and shards, or of a Hugging Face checkpoint directory
 * (converted on the fly). Either way the weights are cached in IndexedDB: a model downloads once.
 */
export async function createEngine(options: EngineOptions & { gpu?: GpuContext; store?: ShardStore }): Promise<Engine> {
  const gpu = options.gpu ?? (await createGpuContext(typeof navigator === 'undefined' ? undefined : navigator.gpu));
  const files = typeof options.model === 'string' ? modelFilesFor(options.model) : options.model;
  const modelName = typeof options.model === 'string' ? resolveCacheName(options.model) : options.model.location;
  return Engine.load(gpu, files, { ...options, modelName, store: options.store ?? modelCache() });
}
