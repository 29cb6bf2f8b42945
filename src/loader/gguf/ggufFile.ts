import { ModelFormatError } from '../../errors.ts';
import type { ByteSource } from '../byteSource.ts';
import { MAX_TENSORS } from '../../model/config.ts';
import {
  GGUF_VALUE_TYPES,
  GgufMetadata,
  type GgufArrayItems,
  type GgufValue,
  type GgufValueType,
} from './ggufMetadata.ts';

/**
 * The tensor types of ggml (ggml.h's ggml_type, gguf-py's GGMLQuantizationType and
 * GGML_QUANT_SIZES): id -> name, weights per block, bytes per block. Types are listed so that any
 * llama.cpp file's directory parses and errors can name what a tensor holds; which of them load is
 * the decoders' business (ggufTensors.ts). I2_S (36) is bitnet.cpp's (see docs/gguf.md): its size
 * is not per block but the packed bytes plus a 32-byte tail holding the scale.
 */
export const GGML_TYPES: Readonly<Record<number, { name: string; blockSize: number; blockBytes: number }>> = {
  0: { name: 'F32', blockSize: 1, blockBytes: 4 },
  1: { name: 'F16', blockSize: 1, blockBytes: 2 },
  2: { name: 'Q4_0', blockSize: 32, blockBytes: 18 },
  3: { name: 'Q4_1', blockSize: 32, blockBytes: 20 },
  6: { name: 'Q5_0', blockSize: 32, blockBytes: 22 },
  7: { name: 'Q5_1', blockSize: 32, blockBytes: 24 },
  8: { name: 'Q8_0', blockSize: 32, blockBytes: 34 },
  9: { name: 'Q8_1', blockSize: 32, blockBytes: 40 },
  10: { name: 'Q2_K', blockSize: 256, blockBytes: 84 },
  11: { name: 'Q3_K', blockSize: 256, blockBytes: 110 },
  12: { name: 'Q4_K', blockSize: 256, blockBytes: 144 },
  13: { name: 'Q5_K', blockSize: 256, blockBytes: 176 },
  14: { name: 'Q6_K', blockSize: 256, blockBytes: 210 },
  15: { name: 'Q8_K', blockSize: 256, blockBytes: 292 },
  16: { name: 'IQ2_XXS', blockSize: 256, blockBytes: 66 },
  17: { name: 'IQ2_XS', blockSize: 256, blockBytes: 74 },
  18: { name: 'IQ3_XXS', blockSize: 256, blockBytes: 98 },
  19: { name: 'IQ1_S', blockSize: 256, blockBytes: 50 },
  20: { name: 'IQ4_NL', blockSize: 32, blockBytes: 18 },
  21: { name: 'IQ3_S', blockSize: 256, blockBytes: 110 },
  22: { name: 'IQ2_S', blockSize: 256, blockBytes: 82 },
  23: { name: 'IQ4_XS', blockSize: 256, blockBytes: 136 },
  24: { name: 'I8', blockSize: 1, blockBytes: 1 },
  25: { name: 'I16', blockSize: 1, blockBytes: 2 },
  26: { name: 'I32', blockSize: 1, blockBytes: 4 },
  27: { name: 'I64', blockSize: 1, blockBytes: 8 },
  28: { name: 'F64', blockSize: 1, blockBytes: 8 },
  29: { name: 'IQ1_M', blockSize: 256, blockBytes: 56 },
  30: { name: 'BF16', blockSize: 1, blockBytes: 2 },
  34: { name: 'TQ1_0', blockSize: 256, blockBytes: 54 },
  35: { name: 'TQ2_0', blockSize: 256, blockBytes: 66 },
  36: { name: 'I2_S', blockSize: 1, blockBytes: 0 },
  39: { name: 'MXFP4', blockSize: 32, blockBytes: 17 },
  40: { name: 'NVFP4', blockSize: 64, blockBytes: 36 },
  41: { name: 'Q1_0', blockSize: 128, blockBytes: 18 },
};

/** Type ids that are not in GGML_TYPES but appear in some files: what they are, for the message. */
const OTHER_TYPE_IDS: Readonly<Record<number, string>> = {
  31: 'Q4_0_4_4, removed from ggml (re-quantize the model with a current llama.cpp)',
  32: 'Q4_0_4_8, removed from ggml (re-quantize the model with a current llama.cpp)',
  33: 'Q4_0_8_8, removed from ggml (re-quantize the model with a current llama.cpp)',
  37: "bitnet.cpp's I8_S, an activation type that no model file should hold",
  38: "bitnet.cpp's TL1, a lookup-table layout for its ARM kernels (use the model's I2_S file)",
};
const BITNET_CPP_TL2 = "bitnet.cpp's TL2, a lookup-table layout for its x86 kernels (use the model's I2_S file)";

export const TYPE_I2_S = 36;
/** Bytes after an I2_S tensor's packed weights: its f32 scale, then padding (docs/gguf.md). */
export const I2_S_TAIL_BYTES = 32;

/** Refuse metadata plus tensor directory larger than this: Llama 3's vocabulary and merges take ~9 MB. */
export const MAX_GGUF_HEADER_BYTES = 64 * 2 ** 20;
/** Metadata entries a file may hold (real ones hold a few dozen). */
export const MAX_METADATA_ENTRIES = 65536;
/** Longest key or tensor name, in bytes. */
export const MAX_NAME_BYTES = 1024;
/** ggml tensors have at most four dimensions (GGML_MAX_DIMS). */
export const MAX_DIMS = 4;
export const DEFAULT_ALIGNMENT = 32;

export interface GgufTensorInfo {
  name: string;
  /** ggml's order: dims[0] is the innermost (the row length, `ne0`); a matrix [rows, cols] is [cols, rows]. */
  dims: number[];
  /** The ggml type id; typeName is its name. */
  type: number;
  typeName: string;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export interface GgufFile {
  source: ByteSource;
  version: number;
  alignment: number;
  /** Where tensor data starts (after the header, aligned). */
  dataOffset: number;
  metadata: GgufMetadata;
  /** In the file's order. */
  tensors: Map<string, GgufTensorInfo>;
}

/** Reads the header's bytes through the source in growing chunks, never past the header limit or the file. */
class HeaderReader {
  private buffer = new Uint8Array(0);
  private view = new DataView(this.buffer.buffer);
  pos = 0;
  private readonly limit: number;

  constructor(
    private readonly source: ByteSource,
    private readonly fileSize: number,
  ) {
    this.limit = Math.min(fileSize, MAX_GGUF_HEADER_BYTES);
  }

  fail(message: string): never {
    throw new ModelFormatError(this.source.name, message);
  }

  /** Bytes available from `pos` without reading past the limit. */
  remaining(): number {
    return this.limit - this.pos;
  }

  /** Makes `n` bytes from `pos` readable; `what` names the field for the error. */
  async need(n: number, what: string): Promise<void> {
    if (this.pos + n <= this.buffer.byteLength) return;
    if (this.pos + n > this.limit) {
      if (this.limit === this.fileSize)
        this.fail(`${what} runs past the end of the ${this.fileSize}-byte file (truncated?)`);
      this.fail(`${what} ends past ${MAX_GGUF_HEADER_BYTES} bytes: the header is larger than this library accepts`);
    }
    const end = Math.min(this.limit, Math.max(this.pos + n, 2 * this.buffer.byteLength, 65536));
    const more = await this.source.read(this.buffer.byteLength, end - this.buffer.byteLength);
    const grown = new Uint8Array(end);
    grown.set(this.buffer);
    grown.set(more, this.buffer.byteLength);
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  async u32(what: string): Promise<number> {
    await this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; 2^53 or more is refused (nothing in a real file comes near). */
  async u64(what: string): Promise<number> {
    await this.need(8, what);
    const v = this.u64At(this.pos, what);
    this.pos += 8;
    return v;
  }

  private u64At(at: number, what: string): number {
    const high = this.view.getUint32(at + 4, true);
    if (high >= 2 ** 21) this.fail(`${what} is ${this.view.getBigUint64(at, true)}, far beyond any real file`);
    return high * 2 ** 32 + this.view.getUint32(at, true);
  }

  /**
   * A length-prefixed UTF-8 string of at most `maxBytes` bytes; `what` (with `index`, for an array
   * item) names it in errors.
   */
  async string(what: string, maxBytes: number, index?: number): Promise<string> {
    const buffered = this.bufferedString(what, maxBytes, index);
    if (buffered !== undefined) return buffered;
    const name = label(what, index);
    const length = await this.u64(`${name}'s length`);
    if (length > maxBytes) this.fail(`${name} is ${length} bytes long, more than the ${maxBytes} allowed`);
    await this.need(length, name);
    const text = this.utf8(this.pos, length, what, index);
    this.pos += length;
    return text;
  }

  /** The string at `pos` if it is all in the buffer already (no await: a vocabulary holds 10^5 of them). */
  private bufferedString(what: string, maxBytes: number, index?: number): string | undefined {
    if (this.pos + 8 > this.buffer.byteLength || this.view.getUint32(this.pos + 4, true) !== 0) return undefined;
    const length = this.view.getUint32(this.pos, true);
    if (length > maxBytes || this.pos + 8 + length > this.buffer.byteLength) return undefined;
    const text = this.utf8(this.pos + 8, length, what, index);
    this.pos += 8 + length;
    return text;
  }

  private utf8(at: number, length: number, what: string, index?: number): string {
    try {
      return DECODER.decode(this.buffer.subarray(at, at + length));
    } catch {
      return this.fail(`${label(what, index)} is not valid UTF-8`);
    }
  }

  /** One metadata value of type `type`; `what` names the key. */
  async value(type: GgufValueType, what: string): Promise<GgufValue> {
    if (type === 'string') return { type, value: await this.string(what, MAX_GGUF_HEADER_BYTES) };
    if (type === 'array') return this.array(what);
    const size = SCALAR_BYTES[type];
    await this.need(size, what);
    const at = this.pos;
    this.pos += size;
    const v = this.view;
    switch (type) {
      case 'uint8':
        return { type, value: v.getUint8(at) };
      case 'int8':
        return { type, value: v.getInt8(at) };
      case 'uint16':
        return { type, value: v.getUint16(at, true) };
      case 'int16':
        return { type, value: v.getInt16(at, true) };
      case 'uint32':
        return { type, value: v.getUint32(at, true) };
      case 'int32':
        return { type, value: v.getInt32(at, true) };
      case 'float32':
        return { type, value: v.getFloat32(at, true) };
      case 'float64':
        return { type, value: v.getFloat64(at, true) };
      case 'uint64':
        return { type, value: v.getBigUint64(at, true) };
      case 'int64':
        return { type, value: v.getBigInt64(at, true) };
      case 'bool': {
        const b = v.getUint8(at);
        if (b > 1) this.fail(`${what}: a bool holds ${b}, expected 0 or 1`);
        return { type, value: b === 1 };
      }
    }
  }

  private async array(what: string): Promise<GgufValue> {
    const itemType = this.valueType(await this.u32(`${what}'s item type`), `${what}'s items`);
    if (itemType === 'array') this.fail(`${what} is an array of arrays, which no model metadata uses`);
    const count = await this.u64(`${what}'s length`);
    // every item takes at least its fixed size (a string its 8-byte length): the count is checked before allocating
    const itemBytes = itemType === 'string' ? 8 : SCALAR_BYTES[itemType];
    if (count * itemBytes > this.remaining())
      this.fail(`${what} claims ${count} items, more than the rest of the header (${this.remaining()} bytes) holds`);
    if (itemType === 'string') {
      const items = new Array<string>(count);
      for (let i = 0; i < count; i++)
        items[i] =
          this.bufferedString(what, MAX_GGUF_HEADER_BYTES, i) ?? (await this.string(what, MAX_GGUF_HEADER_BYTES, i));
      return { type: 'array', itemType, items };
    }
    await this.need(count * itemBytes, what);
    const bytes = this.buffer.slice(this.pos, this.pos + count * itemBytes);
    this.pos += count * itemBytes;
    return {
      type: 'array',
      ...typedItems(itemType, bytes, count, () => this.fail(`${what}: a bool holds neither 0 nor 1`)),
    };
  }

  valueType(id: number, what: string): GgufValueType {
    const type = GGUF_VALUE_TYPES[id];
    if (type === undefined) this.fail(`${what}: value type ${id} is not one GGUF defines (0..12)`);
    return type;
  }
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

function label(what: string, index?: number): string {
  return index === undefined ? what : `${what}[${index}]`;
}

const SCALAR_BYTES: Record<Exclude<GgufValueType, 'string' | 'array'>, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
};

/** Little-endian array items (copied, so aligned) as the typed array of their type. */
function typedItems(
  itemType: Exclude<GgufValueType, 'string' | 'array'>,
  bytes: Uint8Array,
  count: number,
  badBool: () => never,
): GgufArrayItems {
  const buffer = bytes.buffer;
  switch (itemType) {
    case 'uint8':
      return { itemType, items: new Uint8Array(buffer, 0, count) };
    case 'int8':
      return { itemType, items: new Int8Array(buffer, 0, count) };
    case 'uint16':
      return { itemType, items: new Uint16Array(buffer, 0, count) };
    case 'int16':
      return { itemType, items: new Int16Array(buffer, 0, count) };
    case 'uint32':
      return { itemType, items: new Uint32Array(buffer, 0, count) };
    case 'int32':
      return { itemType, items: new Int32Array(buffer, 0, count) };
    case 'float32':
      return { itemType, items: new Float32Array(buffer, 0, count) };
    case 'float64':
      return { itemType, items: new Float64Array(buffer, 0, count) };
    case 'uint64':
      return { itemType, items: new BigUint64Array(buffer, 0, count) };
    case 'int64':
      return { itemType, items: new BigInt64Array(buffer, 0, count) };
    case 'bool':
      return {
        itemType,
        items: Array.from(bytes, (b) => (b > 1 ? badBool() : b === 1)),
      };
  }
}

/**
 * The bytes a tensor of `type` with these dims takes, or a message saying why it cannot be
 * stored. In a BitNet file (`bitnetCpp`: an architecture named bitnet*), 39 is bitnet.cpp's TL2.
 */
function tensorBytes(type: number, dims: number[], bitnetCpp: boolean): number | string {
  const t = GGML_TYPES[type];
  if (bitnetCpp && type === 39) return `has ggml type 39 (${BITNET_CPP_TL2})`;
  if (t === undefined) {
    const other = OTHER_TYPE_IDS[type];
    return `has ggml type ${type}${other ? ` (${other})` : ', which this library does not know'}`;
  }
  const elements = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(elements)) return `has dims [${dims}], more elements than any file holds`;
  if (type === TYPE_I2_S) return Math.floor(elements / 4) + I2_S_TAIL_BYTES;
  if (dims[0] % t.blockSize !== 0)
    return `has rows of ${dims[0]} values, not a multiple of ${t.name}'s ${t.blockSize}-value blocks`;
  return (elements / t.blockSize) * t.blockBytes;
}

/**
 * Reads a GGUF file's header (v2 or v3, little-endian): metadata and tensor directory. The file is
 * hostile input: the header is read in bounded chunks up to MAX_GGUF_HEADER_BYTES, and every count,
 * length, dimension and offset is checked against the header limit and the file's size before
 * anything is allocated. Tensor data is not read.
 */
export async function readGgufFile(source: ByteSource): Promise<GgufFile> {
  const fileSize = await source.size();
  const r: HeaderReader = new HeaderReader(source, fileSize);
  if (fileSize < 24) r.fail(`${fileSize} bytes is too short for a GGUF file`);
  await r.need(8, 'the magic number');
  const magic = await r.u32('the magic number');
  if (magic !== 0x46554747) r.fail('does not start with "GGUF": not a GGUF file');
  const version = await r.u32('the version');
  if ((version & 0xffff) === 0 && version !== 0)
    r.fail('is a big-endian GGUF file; only little-endian files are supported');
  if (version === 1) r.fail('is GGUF version 1 (32-bit counts, 2023), which is not supported: convert it again');
  if (version !== 2 && version !== 3) r.fail(`has GGUF version ${version}; versions 2 and 3 are supported`);
  const tensorCount = await r.u64('the tensor count');
  if (tensorCount > MAX_TENSORS) r.fail(`lists ${tensorCount} tensors, more than the ${MAX_TENSORS} a model may have`);
  const entryCount = await r.u64('the metadata entry count');
  if (entryCount > MAX_METADATA_ENTRIES)
    r.fail(`lists ${entryCount} metadata entries, more than the ${MAX_METADATA_ENTRIES} allowed`);

  const entries = new Map<string, GgufValue>();
  for (let i = 0; i < entryCount; i++) {
    const key = await r.string(`metadata key ${i}`, MAX_NAME_BYTES);
    if (entries.has(key)) r.fail(`metadata ${key} appears twice`);
    const type = r.valueType(await r.u32(`metadata ${key}'s type`), `metadata ${key}`);
    entries.set(key, await r.value(type, `metadata ${key}`));
  }
  const metadata: GgufMetadata = new GgufMetadata(source.name, entries);

  let alignment = DEFAULT_ALIGNMENT;
  const align = entries.get('general.alignment');
  if (align !== undefined) {
    if (align.type !== 'uint32') metadata.fail('general.alignment', `expected a uint32, got ${align.type}`);
    alignment = align.value;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0)
      metadata.fail('general.alignment', `is ${alignment}, expected a power of two`);
  }

  const arch = entries.get('general.architecture');
  const bitnetCpp = arch?.type === 'string' && arch.value.startsWith('bitnet');
  const infos: (Omit<GgufTensorInfo, 'offset'> & { relative: number })[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = await r.string(`tensor ${i}'s name`, MAX_NAME_BYTES);
    if (names.has(name)) r.fail(`tensor ${name} appears twice`);
    names.add(name);
    const nDims = await r.u32(`tensor ${name}'s dimension count`);
    if (nDims < 1 || nDims > MAX_DIMS) r.fail(`tensor ${name} has ${nDims} dimensions, expected 1 to ${MAX_DIMS}`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const n = await r.u64(`tensor ${name}'s dimension ${d}`);
      if (n < 1) r.fail(`tensor ${name} has dimension ${d} of size 0`);
      dims.push(n);
    }
    const type = await r.u32(`tensor ${name}'s type`);
    const relative = await r.u64(`tensor ${name}'s offset`);
    const bytes = tensorBytes(type, dims, bitnetCpp);
    if (typeof bytes === 'string') r.fail(`tensor ${name} ${bytes}`);
    if (relative % alignment !== 0)
      r.fail(`tensor ${name}'s offset ${relative} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, dims, type, typeName: GGML_TYPES[type].name, byteLength: bytes, relative });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  const dataSize = fileSize - dataOffset;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const { relative, ...info } of infos) {
    if (relative + info.byteLength > dataSize)
      r.fail(
        `tensor ${info.name} (${info.byteLength} bytes at ${relative}) runs past the data section (${Math.max(0, dataSize)} bytes)`,
      );
    tensors.set(info.name, { ...info, offset: dataOffset + relative });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteLength) r.fail(`tensors ${prev.name} and ${sorted[i].name} overlap`);
  }
  return { source, version, alignment, dataOffset, metadata, tensors };
}
