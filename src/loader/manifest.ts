import { ModelFormatError } from '../errors.ts';
import { jsonPreview } from '../untrustedJson.ts';
import { MAX_TENSORS, parseBitNetConfig, type BitNetConfig } from '../model/config.ts';
import type { TensorRequest } from '../weights/tensorSource.ts';
import { isPlainFileName } from './byteSource.ts';

/**
 * Our sharded model format: `manifest.json` beside shard files that hold every tensor already in
 * the GPU layout, so loading is fetch -> verify -> upload with no per-weight work in JavaScript.
 */
export const MANIFEST_FORMAT = 'bitnet-webgpu';
export const MANIFEST_VERSION = 1;
/** The manifest's file name, beside the shards. */
export const MANIFEST_FILE = 'manifest.json';

export interface ManifestTensor {
  /** As in Hugging Face checkpoints: `model.layers.0.self_attn.q_proj` (ternary) or `model.norm.weight`. */
  name: string;
  /** ternary: packed u32 codes (rows x ceil(cols/64) x 4) then one f32 divisor per row; vector: f32[rows]; bf16: u32 pairs. */
  kind: TensorRequest['kind'];
  rows: number;
  cols: number;
  shard: number;
  offset: number;
  bytes: number;
}

export interface ManifestShard {
  file: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** The checkpoint's config.json, as transformers wrote it. */
  config: Record<string, unknown>;
  /** Tokenizer files stored beside the manifest (tokenizer.json, tokenizer_config.json). */
  tokenizerFiles: string[];
  tensors: ManifestTensor[];
  shards: ManifestShard[];
}

/** Bytes a tensor of this kind and shape occupies in a shard. */
export function tensorBytes(kind: TensorRequest['kind'], rows: number, cols: number): number {
  if (kind === 'vector') return rows * 4;
  if (kind === 'bf16') return rows * Math.ceil(cols / 2) * 4;
  return rows * Math.ceil(cols / 64) * 16 + rows * 4;
}

/**
 * A shard is read whole into memory, so none may be larger: WebGPU buffers stop at 4 GiB on
 * today's adapters (maxBufferSize), and our converter closes shards at 32 MiB (one tensor more at most).
 */
export const MAX_SHARD_BYTES = 4 * 2 ** 30;

/**
 * Validates a parsed manifest.json: known format and version, a valid config, and a tensor table
 * whose every entry lies inside a listed shard with the byte length its kind and shape imply.
 */
export function parseManifest(json: unknown, file = MANIFEST_FILE): { manifest: Manifest; config: BitNetConfig } {
  const fail = (msg: string): never => {
    throw new ModelFormatError(file, msg);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object');
  const m = json as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT) fail(`format is ${jsonPreview(m.format)}, expected "${MANIFEST_FORMAT}"`);
  if (m.version !== MANIFEST_VERSION) {
    fail(
      `version ${jsonPreview(m.version)} is not supported (this library reads version ${MANIFEST_VERSION}); convert the model again with this version's converter`,
    );
  }
  const config = parseBitNetConfig(m.config, `${file} (config)`);
  if (!Array.isArray(m.tokenizerFiles) || !m.tokenizerFiles.every(isPlainFileName))
    fail('tokenizerFiles must be a list of file names');
  if (!Array.isArray(m.shards) || m.shards.length === 0 || m.shards.length > MAX_TENSORS)
    fail(`shards must be a list of 1 to ${MAX_TENSORS} entries`);
  const shards = m.shards as ManifestShard[];
  for (const [i, s] of shards.entries()) {
    if (typeof s !== 'object' || s === null) fail(`shards[${i}] is not an object`);
    if (!isPlainFileName(s.file)) fail(`shards[${i}].file ${jsonPreview(s.file)} is not a plain file name`);
    if (!Number.isSafeInteger(s.bytes) || s.bytes <= 0 || s.bytes > MAX_SHARD_BYTES)
      fail(`shards[${i}].bytes must be a positive integer up to ${MAX_SHARD_BYTES}`);
    if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256))
      fail(`shards[${i}].sha256 must be 64 lower-case hex digits`);
  }
  if (!Array.isArray(m.tensors) || m.tensors.length > MAX_TENSORS)
    fail(`tensors must be a list of at most ${MAX_TENSORS} entries`);
  const seen = new Set<string>();
  for (const [i, t] of (m.tensors as ManifestTensor[]).entries()) {
    const at = `tensors[${i}]`;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string') fail(`${at} needs a name`);
    if (seen.has(t.name)) fail(`${at}: tensor ${t.name} appears twice`);
    seen.add(t.name);
    if (!['ternary', 'vector', 'bf16'].includes(t.kind))
      fail(`${at} (${t.name}): kind ${jsonPreview(t.kind)} is not ternary, vector or bf16`);
    for (const k of ['rows', 'cols', 'shard', 'offset', 'bytes'] as const) {
      if (!Number.isSafeInteger(t[k]) || t[k] < 0) fail(`${at} (${t.name}): ${k} must be a non-negative integer`);
    }
    if (t.shard >= shards.length) fail(`${at} (${t.name}): shard ${t.shard} does not exist`);
    if (t.bytes !== tensorBytes(t.kind, t.rows, t.cols))
      fail(`${at} (${t.name}): ${t.bytes} bytes do not match a ${t.kind} of ${t.rows} x ${t.cols}`);
    if (t.offset % 4 !== 0 || t.offset + t.bytes > shards[t.shard].bytes)
      fail(`${at} (${t.name}): bytes ${t.offset}..${t.offset + t.bytes} lie outside shard ${t.shard}`);
  }
  return { manifest: m as unknown as Manifest, config };
}
