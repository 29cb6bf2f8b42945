import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { BitNetError } from '../errors.ts';

/** Where verified model files are kept between loads. Keys are `model key` + '\n' + `file name`. */
export interface ShardStore {
  /**
   * The stored bytes, or undefined if there are none or (given `maxBytes`) more than `maxBytes`:
   * an entry larger than its manifest says is damaged, and a store on disk does not read it.
   */
  get(key: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** The cache is full: says how much the model needs and how to make room. */
export class StorageQuotaError extends BitNetError {
  override name = 'StorageQuotaError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('storage-quota', message, options);
  }
}

function isQuotaError(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'QuotaExceededError' || /quota/i.test(e?.message ?? '');
}

/** Rethrows a storage failure as StorageQuotaError when the disk or origin quota is full. */
export async function explainQuota(err: unknown, neededBytes: number): Promise<never> {
  if (!isQuotaError(err)) throw err;
  let estimate = '';
  try {
    const e = await navigator.storage?.estimate?.();
    if (e?.quota)
      estimate = ` This site uses ${(Number(e.usage) / 1e6).toFixed(0)} MB of its ${(e.quota / 1e6).toFixed(0)} MB quota.`;
  } catch {
    // no estimate available
  }
  throw new StorageQuotaError(
    `not enough storage to cache the model: it needs ${(neededBytes / 1e6).toFixed(0)} MB.${estimate} ` +
      'Free space by deleting cached models (deleteCachedModel / clearModelCache, or the demo’s model list), ' +
      'or clear this site’s data in the browser settings, then load again.',
    { cause: err },
  );
}

/** ShardStore.get's answer for stores that hold values in memory or read them whole. */
function withinSize(bytes: Uint8Array | undefined, maxBytes = Infinity): Uint8Array | undefined {
  return bytes && bytes.byteLength <= maxBytes ? bytes : undefined;
}

/** IndexedDB through idb-keyval: one database, one object store of verified files. */
export function indexedDbStore(dbName = 'bitnet-webgpu', storeName = 'files'): ShardStore {
  let store: UseStore | undefined;
  const s = () => (store ??= createStore(dbName, storeName));
  return {
    get: async (key, maxBytes) => withinSize(await get<Uint8Array>(key, s()), maxBytes),
    set: (key, bytes) => set(key, bytes, s()),
    delete: (key) => del(key, s()),
    keys: async () => (await keys(s())).map(String),
  };
}

/** A store in memory (tests, and environments without IndexedDB). */
export function memoryStore(): ShardStore {
  const m = new Map<string, Uint8Array>();
  return {
    get: async (k, maxBytes) => withinSize(m.get(k), maxBytes),
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
    keys: async () => [...m.keys()],
  };
}
