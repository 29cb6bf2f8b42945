import { IntegrityError } from '../errors.ts';
import { wrongSize } from './byteSource.ts';
import type { ManifestShard } from './manifest.ts';
import { sha256Hex } from './sha256.ts';

/**
 * Checks a shard's bytes against its manifest entry: the size always, the SHA-256 unless `hash` is
 * false. Throws IntegrityError naming `name` (where the bytes came from).
 */
export async function checkShard(name: string, shard: ManifestShard, bytes: Uint8Array, hash = true): Promise<void> {
  if (bytes.byteLength !== shard.bytes) throw wrongSize(name, shard.bytes, bytes.byteLength);
  if (hash && (await sha256Hex(bytes)) !== shard.sha256)
    throw new IntegrityError(`${name}: SHA-256 does not match the manifest`);
}
