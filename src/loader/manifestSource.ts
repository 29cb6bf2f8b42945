// Our shards, the format the cache keeps: manifest.json beside shard files that hold every tensor
// in the GPU layout already.
import { ModelFormatError } from '../errors.ts';
import type { BitNetConfig } from '../model/config.ts';
import type { ModelTensorSource } from '../model/tensorPlan.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import type { TensorRequest } from '../weights/tensorSource.ts';
import { blocksFor, WORDS_PER_BLOCK } from '../weights/ternaryLayout.ts';
import { fileLocation, type ModelFiles } from './byteSource.ts';
import { MANIFEST_FILE, parseManifest, type Manifest, type ManifestTensor } from './manifest.ts';
import type { OpenedModel } from './modelSource.ts';
import { checkShard } from './shardIntegrity.ts';

/** Whether `files` are our shards: they have a manifest. */
export function holdsShards(files: ModelFiles): Promise<boolean> {
  return files.has(MANIFEST_FILE);
}

/**
 * Our shards read in place (a folder on disk): each shard is read when the upload reaches its
 * first tensor and checked against the manifest, its size always, its SHA-256 unless
 * `verifyShardHashes` is false.
 */
export async function openShards(files: ModelFiles, options: { verifyShardHashes: boolean }): Promise<OpenedModel> {
  const manifestFile = fileLocation(files, MANIFEST_FILE);
  const { manifest, config } = parseManifest(
    parseJsonFile(await files.readText(MANIFEST_FILE), manifestFile),
    manifestFile,
  );
  const source = new ManifestTensorSource(config, manifest, async (i) => {
    const s = manifest.shards[i];
    const bytes = await files.download(s.file, s.bytes);
    await checkShard(fileLocation(files, s.file), s, bytes, options.verifyShardHashes);
    return bytes;
  });
  return {
    source,
    readTokenizerFile: async (name) => (manifest.tokenizerFiles.includes(name) ? files.readText(name) : undefined),
  };
}

/**
 * Tensors read from our shards: each is a view into its shard, no conversion. Shards are fetched
 * through `readShard` (cache, disk or network) as tensors need them, and only the most recent one
 * is kept, since uploads go in shard order.
 */
export class ManifestTensorSource implements ModelTensorSource {
  private readonly byName: Map<string, ManifestTensor>;
  private current?: { index: number; bytes: Promise<Uint8Array> };

  constructor(
    readonly config: BitNetConfig,
    readonly manifest: Manifest,
    private readonly readShard: (index: number) => Promise<Uint8Array>,
  ) {
    this.byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  check(r: TensorRequest): void {
    const t = this.byName.get(r.name);
    if (!t) throw new ModelFormatError(MANIFEST_FILE, `tensor ${r.name} is missing`);
    if (t.kind !== r.kind || t.rows !== r.rows || t.cols !== r.cols) {
      throw new ModelFormatError(
        MANIFEST_FILE,
        `tensor ${r.name} is a ${t.kind} of ${t.rows} x ${t.cols}, the config needs a ${r.kind} of ${r.rows} x ${r.cols}`,
      );
    }
  }

  private async bytes(name: string): Promise<{ t: ManifestTensor; data: Uint8Array }> {
    const t = this.byName.get(name);
    if (!t) throw new ModelFormatError(MANIFEST_FILE, `tensor ${name} is missing`);
    if (this.current?.index !== t.shard) this.current = { index: t.shard, bytes: this.readShard(t.shard) };
    const shard = await this.current.bytes;
    // copy out so the tensor is 4-byte aligned whatever the shard buffer's offset
    return { t, data: shard.slice(t.offset, t.offset + t.bytes) };
  }

  async ternary(name: string, rows: number, cols: number) {
    const { data } = await this.bytes(name);
    const words = rows * blocksFor(cols) * WORDS_PER_BLOCK;
    return {
      rows,
      cols,
      packed: new Uint32Array(data.buffer, 0, words),
      rowScale: new Float32Array(data.buffer, words * 4, rows),
    };
  }

  async vector(name: string, length: number) {
    const { data } = await this.bytes(name);
    return new Float32Array(data.buffer, 0, length);
  }

  async bf16Matrix(name: string, rows: number, cols: number) {
    const { data } = await this.bytes(name);
    return { rows, cols, words: new Uint32Array(data.buffer) };
  }
}
