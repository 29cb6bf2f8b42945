import { ModelFormatError } from '../errors.ts';
import { MAX_TENSORS } from '../model/config.ts';
import { jsonPreview, parseJsonFile } from '../untrustedJson.ts';
import { isPlainFileName, type ByteSource, type ModelFiles } from './byteSource.ts';

export type SafetensorsDtype = 'BF16' | 'F16' | 'F32' | 'U8' | 'I8';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { BF16: 2, F16: 2, F32: 4, U8: 1, I8: 1 };

/** Refuse headers larger than this before reading them: real ones are well under 1 MiB. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
  source: ByteSource;
}

/**
 * Reads a safetensors header: an 8-byte little-endian length, then JSON mapping names to
 * {dtype, shape, data_offsets}. Every entry is checked against the file before anything large is
 * allocated: known dtype, shape matching byte length, data inside the file, no overlaps.
 */
export async function readSafetensorsHeader(source: ByteSource): Promise<Map<string, TensorInfo>> {
  const fail = (msg: string): never => {
    throw new ModelFormatError(source.name, msg);
  };
  const fileSize = await source.size();
  if (fileSize < 8) fail(`${fileSize} bytes is too short for a safetensors file`);
  const lenBytes = await source.read(0, 8);
  const view = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLen > fileSize) fail(`header length ${headerLen} runs past the end of the ${fileSize}-byte file`);
  const headerBytes = await source.read(8, headerLen);
  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (cause) {
    fail(`header is not valid UTF-8 (${(cause as Error).message})`);
  }
  const header = parseJsonFile(headerText, `${source.name} (header)`);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataSize = fileSize - dataStart;
  const entries = Object.entries(header as Record<string, unknown>);
  if (entries.length > MAX_TENSORS + 1)
    fail(`header lists ${entries.length} entries, more than the ${MAX_TENSORS} tensors a model may have`);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of entries) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor ${name}: entry is not an object`);
    if (typeof e.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, e.dtype))
      fail(`tensor ${name}: dtype ${jsonPreview(e.dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
    if (!Array.isArray(e.shape) || e.shape.length > 8 || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor ${name}: shape ${jsonPreview(e.shape)} is not a list of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(`tensor ${name}: data_offsets ${jsonPreview(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataSize) fail(`tensor ${name}: data_offsets end ${end} is past the data section (${dataSize} bytes)`);
    const dtype = e.dtype as SafetensorsDtype;
    const elements = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (elements * DTYPE_BYTES[dtype] !== end - begin) {
      fail(
        `tensor ${name}: shape ${jsonPreview(e.shape)} of ${dtype} needs ${elements * DTYPE_BYTES[dtype]} bytes, data_offsets span ${end - begin}`,
      );
    }
    tensors.set(name, {
      name,
      dtype,
      shape: e.shape as number[],
      offset: dataStart + begin,
      byteLength: end - begin,
      source,
    });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteLength) fail(`tensors ${prev.name} and ${sorted[i].name} overlap`);
  }
  return tensors;
}

/**
 * All tensors of a checkpoint: `model.safetensors`, or the shards listed in
 * `model.safetensors.index.json` (its weight_map names each tensor's file).
 */
export async function readCheckpointTensors(files: ModelFiles): Promise<Map<string, TensorInfo>> {
  const indexFile = 'model.safetensors.index.json';
  if (!(await files.has(indexFile))) {
    if (!(await files.has('model.safetensors'))) {
      throw new ModelFormatError(files.location, 'holds neither model.safetensors nor model.safetensors.index.json');
    }
    return readSafetensorsHeader(files.open('model.safetensors'));
  }
  const index = parseJsonFile(await files.readText(indexFile), indexFile);
  const weightMap = (index as { weight_map?: unknown })?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelFormatError(indexFile, 'weight_map is missing or not an object');
  }
  const mapped = Object.entries(weightMap);
  if (mapped.length > MAX_TENSORS)
    throw new ModelFormatError(
      indexFile,
      `weight_map lists ${mapped.length} tensors, more than the ${MAX_TENSORS} a model may have`,
    );
  const shardNames = new Set<string>();
  for (const [tensor, shard] of mapped) {
    if (!isPlainFileName(shard) || !shard.endsWith('.safetensors')) {
      throw new ModelFormatError(
        indexFile,
        `weight_map[${jsonPreview(tensor)}] = ${jsonPreview(shard)} is not a safetensors file name in this directory`,
      );
    }
    shardNames.add(shard);
  }
  const all = new Map<string, TensorInfo>();
  for (const shard of shardNames) {
    if (!(await files.has(shard)))
      throw new ModelFormatError(indexFile, `weight_map names ${shard}, which is not in ${files.location}`);
    for (const [name, info] of await readSafetensorsHeader(files.open(shard))) {
      if (all.has(name)) throw new ModelFormatError(shard, `tensor ${name} appears in more than one shard`);
      all.set(name, info);
    }
  }
  for (const [tensor, shard] of Object.entries(weightMap as Record<string, string>)) {
    if (all.get(tensor)?.source.name.endsWith(shard) !== true) {
      throw new ModelFormatError(indexFile, `weight_map puts ${tensor} in ${shard}, but that shard does not hold it`);
    }
  }
  return all;
}
