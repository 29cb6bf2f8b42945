// Builds GGUF files in memory for tests: the container (header, metadata, tensor directory, aligned
// data) and tensor data in ggml's ternary layouts, each written straight from the format's
// description in docs/gguf.md (independent of src/loader/gguf's decoders).
import type { GgufValue } from '../src/loader/gguf/ggufMetadata.ts';
import { GGUF_VALUE_TYPES } from '../src/loader/gguf/ggufMetadata.ts';
import { f32ToF16Bits } from './float16.ts';

const ENCODER = new TextEncoder();

/** Little-endian bytes, appended. */
export class ByteBuilder {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
    return this;
  }
  u64(v: number | bigint): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(v), true);
    return this;
  }
  raw(b: Uint8Array): this {
    const at = this.room(b.length);
    this.bytes.set(b, at);
    return this;
  }
  /** A GGUF string: u64 byte length, then UTF-8. */
  str(s: string): this {
    const at = this.room(8 + 3 * s.length);
    const { written } = ENCODER.encodeInto(s, this.bytes.subarray(at + 8));
    this.view.setUint32(at, written, true);
    this.view.setUint32(at + 4, 0, true);
    this.length = at + 8 + written;
    return this;
  }
  /** Zeros up to a multiple of `alignment`. */
  pad(alignment: number): this {
    this.room((alignment - (this.length % alignment)) % alignment);
    return this;
  }
  /** A metadata value's payload (without its type id). */
  value(v: GgufValue): this {
    const scalar = (type: string, x: number | bigint | boolean) => {
      const at = this.room(SIZES[type]);
      const d = this.view;
      if (type === 'uint8') d.setUint8(at, x as number);
      else if (type === 'int8') d.setInt8(at, x as number);
      else if (type === 'uint16') d.setUint16(at, x as number, true);
      else if (type === 'int16') d.setInt16(at, x as number, true);
      else if (type === 'uint32') d.setUint32(at, x as number, true);
      else if (type === 'int32') d.setInt32(at, x as number, true);
      else if (type === 'float32') d.setFloat32(at, x as number, true);
      else if (type === 'float64') d.setFloat64(at, x as number, true);
      else if (type === 'uint64') d.setBigUint64(at, x as bigint, true);
      else if (type === 'int64') d.setBigInt64(at, x as bigint, true);
      else if (type === 'bool') d.setUint8(at, x ? 1 : 0);
    };
    if (v.type === 'string') return this.str(v.value);
    if (v.type === 'array') {
      this.u32(typeId(v.itemType)).u64(v.items.length);
      const items = v.items as ArrayLike<number | bigint | boolean | string>;
      for (let i = 0; i < items.length; i++) {
        if (v.itemType === 'string') this.str(items[i] as string);
        else scalar(v.itemType, items[i] as number);
      }
      return this;
    }
    scalar(v.type, v.value);
    return this;
  }
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const SIZES: Record<string, number> = {
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

export function typeId(type: (typeof GGUF_VALUE_TYPES)[number]): number {
  return GGUF_VALUE_TYPES.indexOf(type);
}

/** Metadata values, briefly. */
export const gv = {
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  u64: (value: number): GgufValue => ({ type: 'uint64', value: BigInt(value) }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strs: (items: string[]): GgufValue => ({ type: 'array', itemType: 'string', items }),
  i32s: (items: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'int32', items: Int32Array.from(items) }),
};

export const GGML = { F32: 0, F16: 1, Q8_0: 8, BF16: 30, TQ1_0: 34, TQ2_0: 35, I2_S: 36 } as const;

export interface WriterTensor {
  name: string;
  /** ggml order: [cols, rows] for a matrix. */
  dims: number[];
  type: number;
  data: Uint8Array;
}

export interface GgufSpec {
  version?: number;
  alignment?: number;
  metadata: Record<string, GgufValue>;
  tensors: WriterTensor[];
}

/** A whole GGUF file: header, metadata, tensor directory, then each tensor's data at aligned offsets. */
export function writeGguf(spec: GgufSpec): Uint8Array {
  const alignment = spec.alignment ?? 32;
  const b = new ByteBuilder().u32(0x46554747).u32(spec.version ?? 3);
  const entries = Object.entries(spec.metadata);
  b.u64(spec.tensors.length).u64(entries.length);
  for (const [key, v] of entries) b.str(key).u32(typeId(v.type)).value(v);
  let offset = 0;
  for (const t of spec.tensors) {
    b.str(t.name).u32(t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(t.type).u64(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  b.pad(alignment);
  for (const t of spec.tensors) b.raw(t.data).pad(alignment);
  return b.finish();
}

export function f16Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return new Uint8Array(out.buffer);
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** bf16 by truncation: exact for values that are bf16 already (what tests feed it). */
export function bf16Bytes(values: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(values);
  const bits = new Uint32Array(f.buffer);
  return new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
}

/** TQ2_0: per 256 weights, 64 bytes where byte 32h + m holds weight 128h + 32n + m at bits 2n as w + 1; then f16 d. */
export function encodeTq2_0(codes: ArrayLike<number>, scales: ArrayLike<number>): Uint8Array {
  const blocks = codes.length / 256;
  const out = new Uint8Array(blocks * 66);
  for (let b = 0; b < blocks; b++) {
    for (let w = 0; w < 256; w++) {
      const h = Math.floor(w / 128);
      const n = Math.floor((w % 128) / 32);
      const m = w % 32;
      out[b * 66 + 32 * h + m] |= (codes[b * 256 + w] + 1) << (2 * n);
    }
    new DataView(out.buffer).setUint16(b * 66 + 64, f32ToF16Bits(scales[b]), true);
  }
  return out;
}

/**
 * TQ1_0: per 256 weights, 48 + 4 bytes of trits then f16 d. A byte holding trits t0..t4 (t0 most
 * significant; qh bytes hold four, the fifth digit 0) stores ceil(value * 256 / 243) where value
 * is their base-3 number. Byte m < 32 holds weights m + 32n, byte 32 + m (m < 16) weights
 * 160 + m + 16n, qh byte m weights 240 + m + 4n.
 */
export function encodeTq1_0(codes: ArrayLike<number>, scales: ArrayLike<number>): Uint8Array {
  const blocks = codes.length / 256;
  const out = new Uint8Array(blocks * 54);
  for (let b = 0; b < blocks; b++) {
    // the byte holding weights first, first + stride, ... (`count` of them; missing digits are 0)
    const pack = (first: number, stride: number, count: number) => {
      let value = 0;
      for (let n = 0; n < 5; n++) value = value * 3 + (n < count ? codes[b * 256 + first + stride * n] + 1 : 0);
      return Math.ceil((value * 256) / 243);
    };
    const base = b * 54;
    for (let m = 0; m < 32; m++) out[base + m] = pack(m, 32, 5);
    for (let m = 0; m < 16; m++) out[base + 32 + m] = pack(160 + m, 16, 5);
    for (let m = 0; m < 4; m++) out[base + 48 + m] = pack(240 + m, 4, 4);
    new DataView(out.buffer).setUint16(base + 52, f32ToF16Bits(scales[b]), true);
  }
  return out;
}

/**
 * I2_S: the flattened weights in blocks of 128 in 32 bytes, weight 32g + j of a block at bits
 * 6 - 2g of byte j as w + 1; then the f32 scale and zeros to a 32-byte tail.
 */
export function encodeI2_S(codes: ArrayLike<number>, scale: number): Uint8Array {
  const n = codes.length;
  const out = new Uint8Array(n / 4 + 32);
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / 128);
    const g = Math.floor((i % 128) / 32);
    const j = i % 32;
    out[block * 32 + j] |= (codes[i] + 1) << (6 - 2 * g);
  }
  new DataView(out.buffer).setFloat32(n / 4, scale, true);
  return out;
}

/**
 * llama.cpp's LlamaModel.permute for Q (heads = attention heads) and K (heads = KV heads): within
 * each head, row s * d/2 + i (s in 0..1) moves to row 2i + s. Applied to a row-major [rows, cols] array.
 */
export function permuteRopeRows<T extends Int8Array | Float32Array>(
  w: T,
  rows: number,
  cols: number,
  heads: number,
): T {
  const d = rows / heads;
  const out = new (w.constructor as new (n: number) => T)(w.length);
  for (let h = 0; h < heads; h++)
    for (let s = 0; s < 2; s++)
      for (let i = 0; i < d / 2; i++) {
        const from = (h * d + s * (d / 2) + i) * cols;
        out.set(w.subarray(from, from + cols), (h * d + 2 * i + s) * cols);
      }
  return out;
}
