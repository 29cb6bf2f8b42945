import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ShardStore } from '../loader/shardStore.ts';

/** The default cache directory in Node: $BITNET_CACHE, else ~/.cache/bitnet-webgpu. */
export function defaultCacheDir(): string {
  return process.env.BITNET_CACHE ?? path.join(homedir(), '.cache', 'bitnet-webgpu');
}

/** A ShardStore on disk: one file per key, written to a temporary name and renamed into place. */
export function directoryStore(dir = defaultCacheDir()): ShardStore {
  const fileOf = (key: string) => path.join(dir, encodeURIComponent(key));
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(fileOf(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async set(key, bytes) {
      await mkdir(dir, { recursive: true });
      const tmp = `${fileOf(key)}.partial-${process.pid}`;
      await writeFile(tmp, bytes);
      await rename(tmp, fileOf(key));
    },
    delete: (key) => rm(fileOf(key), { force: true }),
    async keys() {
      try {
        return (await readdir(dir)).filter((f) => !f.includes('.partial-')).map(decodeURIComponent);
      } catch {
        return [];
      }
    },
  };
}
