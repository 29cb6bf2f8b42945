import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  MAX_TEXT_FILE_BYTES,
  textFileTooLarge,
  wrongSize,
  type ByteSource,
  type ModelFiles,
} from '../loader/byteSource.ts';
import { ModelFormatError } from '../errors.ts';
import { readRange } from './fileRange.ts';

/** A file system error on a model's file, as the ModelFormatError a broken model folder gets. */
function modelFileError(filePath: string, err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code || !e.syscall) return err; // not the file system's
  if (e.code === 'ENOENT') return new ModelFormatError(filePath, 'does not exist');
  if (e.code === 'EISDIR') return new ModelFormatError(filePath, 'is a directory, not a file');
  return new ModelFormatError(filePath, `cannot be read (${e.code}: ${e.message})`);
}

/** A file on disk, read by ranges (a 2B checkpoint is never read whole into memory). */
export function fileSource(filePath: string): ByteSource {
  return {
    name: filePath,
    async size() {
      const s = await stat(filePath).catch((err) => Promise.reject(modelFileError(filePath, err)));
      if (!s.isFile()) throw new ModelFormatError(filePath, 'is not a regular file');
      return s.size;
    },
    async read(offset, length) {
      const handle = await open(filePath, 'r').catch((err) => Promise.reject(modelFileError(filePath, err)));
      try {
        const bytes = await readRange(handle, offset, length);
        if (bytes.byteLength < length)
          throw new ModelFormatError(filePath, `file ends before byte ${offset + length} (truncated?)`);
        return bytes;
      } catch (err) {
        throw modelFileError(filePath, err);
      } finally {
        await handle.close();
      }
    },
  };
}

/** The files of a checkpoint directory; every read is bounded by a size known before it starts. */
export function directoryFiles(dir: string): ModelFiles {
  return {
    location: dir,
    has: (file) =>
      stat(path.join(dir, file)).then(
        (s) => s.isFile(),
        () => false,
      ),
    open: (file) => fileSource(path.join(dir, file)),
    async readText(file) {
      const source = fileSource(path.join(dir, file));
      const size = await source.size();
      if (size > MAX_TEXT_FILE_BYTES) throw textFileTooLarge(source.name);
      return new TextDecoder().decode(await source.read(0, size));
    },
    async download(file, size, onBytes) {
      const source = fileSource(path.join(dir, file));
      const actual = await source.size();
      if (actual !== size) throw wrongSize(source.name, size, actual);
      const bytes = await source.read(0, size);
      onBytes?.(size);
      return bytes;
    },
  };
}
