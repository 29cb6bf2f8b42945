import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ShardStore } from '../loader/shardStore.ts';
import { readRange } from './fileRange.ts';

/** The default cache directory in Node: $BITNET_CACHE, else ~/.cache/bitnet-webgpu. */
export function defaultCacheDir(): string {
  return process.env.BITNET_CACHE ?? path.join(homedir(), '.cache', 'bitnet-webgpu');
}

/**
 * File names are at most 255 bytes; the encoded key plus `.partial-PID` must fit. A longer key
 * (a long model URL) is stored under LONG_KEY + its SHA-256, with the key itself beside it in
 * `<name>.key`. encodeURIComponent never writes `#`, so the two kinds of names cannot meet.
 */
const MAX_ENCODED_KEY = 200;
const LONG_KEY = '#';
const KEY_SUFFIX = '.key';
const PARTIAL = '.partial-';

function fileNameOf(key: string): string {
  const encoded = encodeURIComponent(key);
  return encoded.length <= MAX_ENCODED_KEY ? encoded : LONG_KEY + createHash('sha256').update(key).digest('hex');
}

/** A ShardStore on disk: one file per key, written to a temporary name and renamed into place. */
export function directoryStore(dir = defaultCacheDir()): ShardStore {
  const pathOf = (key: string) => path.join(dir, fileNameOf(key));
  const writeAtomically = async (file: string, bytes: Uint8Array | string) => {
    const tmp = `${file}${PARTIAL}${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  };
  return {
    async get(key, maxBytes = Infinity) {
      let handle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      try {
        const { size } = await handle.stat();
        // a file that shrinks while being read comes back short: its caller checks the size
        return size > maxBytes ? undefined : await readRange(handle, 0, size);
      } finally {
        await handle.close();
      }
    },
    async set(key, bytes) {
      await mkdir(dir, { recursive: true });
      const file = pathOf(key);
      if (path.basename(file).startsWith(LONG_KEY)) await writeAtomically(`${file}${KEY_SUFFIX}`, key);
      await writeAtomically(file, bytes);
    },
    async delete(key) {
      const file = pathOf(key);
      await rm(file, { force: true });
      await rm(`${file}${KEY_SUFFIX}`, { force: true });
    },
    async keys() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const keys: string[] = [];
      for (const name of names) {
        if (name.includes(PARTIAL)) continue;
        if (name.startsWith(LONG_KEY)) {
          if (name.endsWith(KEY_SUFFIX)) continue;
          const key = await readFile(path.join(dir, `${name}${KEY_SUFFIX}`), 'utf8').catch(() => undefined);
          if (key !== undefined && fileNameOf(key) === name) keys.push(key);
          continue;
        }
        try {
          keys.push(decodeURIComponent(name));
        } catch {
          // not a name this store wrote
        }
      }
      return keys;
    },
  };
}
