// The page's model cache (IndexedDB, or memory where there is none) and the functions that list,
// delete and keep what it holds.
import { indexedDbStore, memoryStore, type ShardStore } from '../loader/shardStore.ts';
import {
  deleteCachedModel as deleteFromStore,
  listCachedModels as listStore,
  type CachedModel,
} from '../loader/modelCache.ts';
import { resolveModelUrl } from './modelLocation.ts';

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
