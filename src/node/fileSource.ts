import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ByteSource, ModelFiles } from '../loader/byteSource.ts';
import { ModelFormatError } from '../errors.ts';

/** A file on disk, read by ranges (a 2B checkpoint is never read whole into memory). */
export function fileSource(filePath: string): ByteSource {
  return {
    name: filePath,
    size: async () => (await stat(filePath)).size,
    async read(offset, length) {
      const handle = await open(filePath, 'r');
      try {
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
          if (bytesRead === 0) throw new ModelFormatError(filePath, `file ends before byte ${offset + length} (truncated?)`);
          done += bytesRead;
        }
        return bytes;
      } finally {
        await handle.close();
      }
    },
  };
}

/** The files of a checkpoint directory. */
export function directoryFiles(dir: string): ModelFiles {
  return {
    location: dir,
    has: (file) => stat(path.join(dir, file)).then((s) => s.isFile(), () => false),
    open: (file) => fileSource(path.join(dir, file)),
    readText: (file) => readFile(path.join(dir, file), 'utf8'),
    async download(file, onBytes) {
      const bytes = new Uint8Array(await readFile(path.join(dir, file)));
      onBytes?.(bytes.byteLength);
      return bytes;
    },
  };
}
