import { ModelFormatError } from '../../errors.ts';

/** GGUF's metadata value types, indexed by their id in the file (gguf-py's GGUFValueType). */
export const GGUF_VALUE_TYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
] as const;

export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** The items of a GGUF array, by item type (arrays of arrays are refused when parsing). */
export type GgufArrayItems =
  | { itemType: 'uint8'; items: Uint8Array }
  | { itemType: 'int8'; items: Int8Array }
  | { itemType: 'uint16'; items: Uint16Array }
  | { itemType: 'int16'; items: Int16Array }
  | { itemType: 'uint32'; items: Uint32Array }
  | { itemType: 'int32'; items: Int32Array }
  | { itemType: 'float32'; items: Float32Array }
  | { itemType: 'float64'; items: Float64Array }
  | { itemType: 'uint64'; items: BigUint64Array }
  | { itemType: 'int64'; items: BigInt64Array }
  | { itemType: 'bool'; items: boolean[] }
  | { itemType: 'string'; items: string[] };

/** One metadata value with its GGUF type: 64-bit integers stay bigint so no value is rounded. */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: 'uint64' | 'int64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | ({ type: 'array' } & GgufArrayItems);

const SMALL_INTEGERS: ReadonlySet<string> = new Set(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32']);

/** An integer-typed value as a number (64-bit ones beyond 2^53 as +-Infinity); undefined for other types. */
function integerOf(v: GgufValue): number | undefined {
  switch (v.type) {
    case 'uint64':
    case 'int64':
      if (v.value > BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
      return v.value < -BigInt(Number.MAX_SAFE_INTEGER) ? -Infinity : Number(v.value);
    case 'uint8':
    case 'int8':
    case 'uint16':
    case 'int16':
    case 'uint32':
    case 'int32':
      return v.value;
    default:
      return undefined;
  }
}

function describe(v: GgufValue): string {
  return v.type === 'array' ? `an array of ${v.itemType}` : v.type;
}

/**
 * A GGUF file's key-value metadata with typed accessors: each names the key and the file in the
 * ModelFormatError it throws for a missing key or a value of the wrong type or range.
 */
export class GgufMetadata {
  constructor(
    /** The file, for messages. */
    readonly file: string,
    private readonly entries: ReadonlyMap<string, GgufValue>,
  ) {}

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): GgufValue | undefined {
    return this.entries.get(key);
  }

  fail(key: string, message: string): never {
    throw new ModelFormatError(this.file, `metadata ${key}: ${message}`);
  }

  private need(key: string): GgufValue {
    const v = this.entries.get(key);
    return v ?? this.fail(key, 'is missing');
  }

  /** A non-negative integer of any integer type, at most `max`; `fallback` when absent (required if undefined). */
  uint(key: string, max: number, fallback?: number): number {
    const v = this.entries.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    const n = integerOf(v);
    if (n === undefined) return this.fail(key, `expected an integer, got ${describe(v)}`);
    if (n < 0 || n > max) this.fail(key, `is ${n}, expected an integer in 0..${max}`);
    return n;
  }

  /** A finite number (a float or an integer type); `fallback` when absent (required if undefined). */
  float(key: string, fallback?: number): number {
    const v = this.entries.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    const n = v.type === 'float32' || v.type === 'float64' ? v.value : integerOf(v);
    if (n === undefined) return this.fail(key, `expected a number, got ${describe(v)}`);
    if (!Number.isFinite(n)) this.fail(key, `is ${n}, expected a finite number`);
    return n;
  }

  string(key: string, fallback?: string): string {
    const v = this.entries.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    if (v.type !== 'string') return this.fail(key, `expected a string, got ${describe(v)}`);
    return v.value;
  }

  bool(key: string, fallback?: boolean): boolean {
    const v = this.entries.get(key);
    if (v === undefined) return fallback ?? this.fail(key, 'is missing');
    if (v.type !== 'bool') return this.fail(key, `expected a bool, got ${describe(v)}`);
    return v.value;
  }

  stringArray(key: string): string[] {
    const v = this.need(key);
    if (v.type !== 'array' || v.itemType !== 'string')
      return this.fail(key, `expected an array of strings, got ${describe(v)}`);
    return v.items;
  }

  /** An array of 8- to 32-bit integers as numbers. */
  intArray(key: string): ArrayLike<number> {
    const v = this.need(key);
    if (v.type !== 'array' || !SMALL_INTEGERS.has(v.itemType))
      this.fail(key, `expected an array of integers, got ${describe(v)}`);
    return v.items as ArrayLike<number>;
  }
}
