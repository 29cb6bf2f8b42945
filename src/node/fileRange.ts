// Reading part of an open file. Its own module, so that no public declaration names Node's
// FileHandle type (a consumer of the package's types need not have @types/node).
import type { FileHandle } from 'node:fs/promises';

/** Bytes per read call: one call may move at most 2 GiB. */
const READ_CHUNK = 2 ** 30;

/** `length` bytes from `offset` of an open file, or fewer if the file ends first. */
export async function readRange(handle: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, Math.min(length - done, READ_CHUNK), offset + done);
    if (bytesRead === 0) return bytes.subarray(0, done);
    done += bytesRead;
  }
  return bytes;
}
