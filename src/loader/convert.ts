import { tensorPlan, type ModelTensorSource } from '../model/tensorPlan.ts';
import type { TensorRequest } from '../weights/tensorSource.ts';
import { BitNetError, InvalidArgumentError } from '../errors.ts';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  MAX_SHARD_BYTES,
  tensorBytes,
  type Manifest,
  type ManifestShard,
  type ManifestTensor,
} from './manifest.ts';
import type { OpenedCheckpoint } from './modelSource.ts';
import { sha256Hex } from './sha256.ts';

export interface ConvertOptions {
  /** Close a shard once it holds at least this many bytes (default 32 MiB). */
  shardBytes?: number;
  onProgress?: (p: { done: number; total: number }) => void;
  /** Stops between tensors with a BitNetError (code 'aborted'). */
  signal?: AbortSignal;
}

/** Receives each finished shard (write it to disk, cache it, upload it). */
export type ShardSink = (shard: ManifestShard, bytes: Uint8Array) => Promise<void>;

/** Where a converted model is written: the cache (ModelCache.writer), or a folder (the convert command). */
export interface ShardWriter {
  /** A tokenizer file, as the checkpoint has it; these come first. */
  tokenizerFile(name: string, text: string): Promise<void>;
  shard: ShardSink;
  /** Written last, once every shard is: a manifest means the model it lists is complete. */
  manifest(manifest: Manifest): Promise<void>;
}

async function tensorData(source: ModelTensorSource, r: TensorRequest): Promise<Uint8Array> {
  if (r.kind === 'vector') return new Uint8Array((await source.vector(r.name, r.rows)).buffer.slice(0));
  if (r.kind === 'bf16') {
    const m = await source.bf16Matrix(r.name, r.rows, r.cols);
    return new Uint8Array(m.words.buffer, m.words.byteOffset, m.words.byteLength);
  }
  const t = await source.ternary(r.name, r.rows, r.cols);
  const out = new Uint8Array(t.packed.byteLength + t.rowScale.byteLength);
  out.set(new Uint8Array(t.packed.buffer, t.packed.byteOffset, t.packed.byteLength));
  out.set(new Uint8Array(t.rowScale.buffer, t.rowScale.byteOffset, t.rowScale.byteLength), t.packed.byteLength);
  return out;
}

/**
 * Converts any tensor source (a Hugging Face checkpoint, a GGUF file) into our shards, streaming: tensors are
 * read one at a time in upload order and at most one shard is held in memory. The output depends
 * only on the input (no timestamps, fixed order), so converting twice gives identical shards.
 */
export async function convertModel(
  source: ModelTensorSource,
  configJson: Record<string, unknown>,
  tokenizerFiles: string[],
  sink: ShardSink,
  options: ConvertOptions = {},
): Promise<Manifest> {
  const target = options.shardBytes ?? 32 * 2 ** 20;
  if (!(target > 0 && target <= MAX_SHARD_BYTES))
    throw new InvalidArgumentError(`shardBytes must be in 1..${MAX_SHARD_BYTES}, got ${target}`);
  const plan = tensorPlan(source.config);
  for (const r of plan) source.check(r);
  const tensors: ManifestTensor[] = [];
  const shards: ManifestShard[] = [];
  let pending: Uint8Array[] = [];
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    const bytes = new Uint8Array(size);
    let o = 0;
    for (const p of pending) {
      bytes.set(p, o);
      o += p.byteLength;
    }
    const file = `shard-${String(shards.length).padStart(5, '0')}.bin`;
    const shard = { file, bytes: size, sha256: await sha256Hex(bytes) };
    shards.push(shard);
    await sink(shard, bytes);
    pending = [];
    size = 0;
  };
  for (const [i, r] of plan.entries()) {
    if (options.signal?.aborted) throw new BitNetError('aborted', 'the conversion was cancelled');
    const data = await tensorData(source, r);
    if (size > 0 && size + data.byteLength > target) await flush();
    tensors.push({
      name: r.name,
      kind: r.kind,
      rows: r.rows,
      cols: r.cols,
      shard: shards.length,
      offset: size,
      bytes: tensorBytes(r.kind, r.rows, r.cols),
    });
    pending.push(data);
    size += data.byteLength;
    options.onProgress?.({ done: i + 1, total: plan.length });
  }
  await flush();
  return { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, config: configJson, tokenizerFiles, tensors, shards };
}

/** The convert stage: a checkpoint into our shards, written with its tokenizer files and, last, its manifest. */
export async function convertToShards(
  checkpoint: OpenedCheckpoint,
  writer: ShardWriter,
  options: ConvertOptions = {},
): Promise<Manifest> {
  for (const file of checkpoint.tokenizerFiles) {
    const text = await checkpoint.readTokenizerFile(file);
    if (text !== undefined) await writer.tokenizerFile(file, text);
  }
  const manifest = await convertModel(
    checkpoint.source,
    checkpoint.configJson,
    checkpoint.tokenizerFiles,
    writer.shard,
    options,
  );
  await writer.manifest(manifest);
  return manifest;
}
