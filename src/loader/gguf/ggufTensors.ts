// GGUF tensor data -> our CPU-side forms: ternary codes with one per-tensor scale for linear
// weights, float32 for norms. Layouts and their sources: docs/gguf.md.
import { ModelFormatError } from '../../errors.ts';
import { f16ToF32, toFloat32 } from '../dtypes.ts';
import type { GgufTensorInfo } from './ggufFile.ts';

/** A ternary matrix on the CPU: the weight at (r, c) is `scale * codes[r * cols + c]`, codes in {-1, 0, +1}. */
export interface TernaryTensor {
  codes: Int8Array;
  /** Positive and finite; 1 for an all-zero tensor. */
  scale: number;
}

/** The GGUF types a linear (BitLinear) weight may have. */
export const TERNARY_TYPES = ['I2_S', 'TQ1_0', 'TQ2_0', 'F16', 'BF16', 'F32'] as const;
/** The GGUF types a norm, embedding table or output matrix may have. */
export const FLOAT_TYPES = ['F32', 'F16', 'BF16'] as const;
type FloatType = (typeof FLOAT_TYPES)[number];

const QK_K = 256;
const TQ1_0_BLOCK = 54;
const TQ2_0_BLOCK = 66;
const I2_S_BLOCK = 128;

/** Collects one tensor's scale: every non-zero block (or value) must have the same one. */
class ScaleCheck {
  scale = 0;
  constructor(
    private readonly file: string,
    private readonly tensor: string,
  ) {}

  fail(message: string): never {
    throw new ModelFormatError(this.file, `tensor ${this.tensor}: ${message}`);
  }

  /** Records the scale `s` of a non-zero part of the tensor (`where`: "block 3", "the I2_S scale"). */
  see(s: number, where: string): void {
    if (!(Number.isFinite(s) && s > 0)) this.fail(`${where} has scale ${s}, expected a positive number`);
    if (this.scale === 0) this.scale = s;
    else if (s !== this.scale)
      this.fail(
        `${where} has scale ${s} where earlier ones have ${this.scale}: this is not a ternary weight with one ` +
          'scale per tensor (what converting a BitNet b1.58 checkpoint gives). Per-block scales are not supported: the ' +
          'kernels apply one scale per output row after an integer-only dot product',
      );
  }

  result(codes: Int8Array): TernaryTensor {
    return { codes, scale: this.scale === 0 ? 1 : this.scale };
  }
}

function blockScale(bytes: Uint8Array, at: number): number {
  return f16ToF32(bytes[at] | (bytes[at + 1] << 8));
}

/** The four 2-bit fields of each byte value as codes (field k at bits 2k, stored as w + 1; 3 -> 2). */
const FIELDS = Int8Array.from({ length: 256 * 4 }, (_, i) => ((i >> 2) >> (2 * (i & 3))) & 3).map((q) => q - 1);

/** Whether a byte holds the 2-bit code 3 (no ternary value) in any field. */
function hasCode3(byte: number): boolean {
  return (byte & (byte >> 1) & 0x55) !== 0;
}

/**
 * TQ2_0 (ggml-common.h block_tq2_0): 256 weights in 66 bytes, `qs[64]` then an f16 scale `d`.
 * Weight 128h + 32n + m (h in 0..1, n in 0..3, m in 0..31) is bits 2n..2n+1 of qs[32h + m], stored as w + 1.
 */
function decodeTq2_0(bytes: Uint8Array, elements: number, check: ScaleCheck): TernaryTensor {
  const codes = new Int8Array(elements);
  for (let b = 0; b < elements / QK_K; b++) {
    const base = b * TQ2_0_BLOCK;
    const out = b * QK_K;
    let nonZero = 0;
    for (let h = 0; h < 2; h++) {
      for (let m = 0; m < 32; m++) {
        const byte = bytes[base + 32 * h + m];
        if (hasCode3(byte)) check.fail(`block ${b} holds the 2-bit code 3, which is not a ternary value`);
        nonZero |= byte ^ 0x55; // 0x55: four zero weights
        const w = out + 128 * h + m;
        for (let n = 0; n < 4; n++) codes[w + 32 * n] = FIELDS[byte * 4 + n];
      }
    }
    settleBlock(codes, out, nonZero !== 0, blockScale(bytes, base + 64), b, check);
  }
  return check.result(codes);
}

/**
 * ggml's trit extraction, digit n (most significant first) of the base-3 fraction byte / 256 as
 * ((byte * 3^n) mod 256) * 3 >> 8, for every byte value, as codes (trit - 1).
 */
const TRITS = Int8Array.from({ length: 256 * 5 }, (_, i) => {
  const byte = Math.floor(i / 5);
  return ((((byte * 3 ** (i % 5)) & 0xff) * 3) >> 8) - 1;
});

/**
 * TQ1_0 (ggml-common.h block_tq1_0): 256 weights in 54 bytes, `qs[48]`, `qh[4]`, then an f16 `d`.
 * Each byte holds five trits (qh bytes four) as a base-3 fraction of 256, most significant first:
 * qs[m] (m < 32) holds weights m + 32n, qs[32 + m] (m < 16) weights 160 + m + 16n, qh[m] weights
 * 240 + m + 4n (n = digit). Trit t stands for t - 1.
 */
function decodeTq1_0(bytes: Uint8Array, elements: number, check: ScaleCheck): TernaryTensor {
  const codes = new Int8Array(elements);
  // [first byte, bytes, first weight, stride between a byte's weights, trits per byte]
  const groups = [
    [0, 32, 0, 32, 5],
    [32, 16, 160, 16, 5],
    [48, 4, 240, 4, 4],
  ];
  for (let b = 0; b < elements / QK_K; b++) {
    const base = b * TQ1_0_BLOCK;
    const out = b * QK_K;
    let nonZero = 0;
    for (const [first, count, weight, stride, trits] of groups) {
      for (let m = 0; m < count; m++) {
        const t = bytes[base + first + m] * 5;
        for (let n = 0; n < trits; n++) {
          const code = TRITS[t + n];
          codes[out + weight + m + stride * n] = code;
          nonZero |= code;
        }
      }
    }
    settleBlock(codes, out, nonZero !== 0, blockScale(bytes, base + 52), b, check);
  }
  return check.result(codes);
}

/** A block with codes contributes its scale; one whose scale is 0 holds zeros whatever its codes. */
function settleBlock(codes: Int8Array, out: number, nonZero: boolean, d: number, b: number, check: ScaleCheck): void {
  if (!nonZero) return;
  if (d === 0) codes.fill(0, out, out + QK_K);
  else check.see(d, `block ${b}`);
}

/**
 * I2_S (bitnet.cpp, x86 layout): the tensor's weights, flattened row by row, in blocks of 128 in
 * 32 bytes: weight 32g + j of a block (g in 0..3) is bits 6 - 2g..7 - 2g of its byte j, stored as
 * w + 1. After the elements / 4 packed bytes comes the f32 per-tensor scale (in a 32-byte tail).
 */
function decodeI2_S(bytes: Uint8Array, elements: number, check: ScaleCheck): TernaryTensor {
  if (elements % I2_S_BLOCK !== 0)
    check.fail(`${elements} weights are not whole 128-weight I2_S blocks (bitnet.cpp's writers drop the remainder)`);
  const codes = new Int8Array(elements);
  let nonZero = 0;
  for (let i = 0; i < elements / 4; i++) {
    const byte = bytes[i];
    if (hasCode3(byte)) check.fail(`byte ${i} holds the 2-bit code 3, which is not a ternary value`);
    nonZero |= byte ^ 0x55;
    const w = (i >> 5) * I2_S_BLOCK + (i & 31);
    for (let g = 0; g < 4; g++) codes[w + 32 * g] = FIELDS[byte * 4 + 3 - g];
  }
  const scale = new DataView(bytes.buffer, bytes.byteOffset + elements / 4, 4).getFloat32(0, true);
  if (nonZero !== 0) check.see(scale, 'the tensor');
  return check.result(codes);
}

/**
 * A float linear weight that is exactly ternary times one scale (what llama.cpp's converter keeps in
 * F16 when rows are not a multiple of 256): every value is 0 or +-s for one s. Anything else is not
 * a ternary model's weight and is refused.
 */
function ternaryFromFloats(values: Float32Array, check: ScaleCheck): TernaryTensor {
  const codes = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) continue;
    const a = Math.abs(v);
    if (check.scale === 0) check.see(a, `value ${i}`);
    else if (a !== check.scale)
      check.fail(
        `value ${i} is ${v} where earlier non-zero values are +-${check.scale}: not a ternary weight (0 or +-one scale); ` +
          'only ternary (BitNet b1.58) models can be loaded',
      );
    codes[i] = v > 0 ? 1 : -1;
  }
  return check.result(codes);
}

/** A linear weight [rows, cols] (ggml dims [cols, rows]) of any TERNARY_TYPES type as codes and scale. */
export function decodeTernary(file: string, info: GgufTensorInfo, bytes: Uint8Array): TernaryTensor {
  const elements = info.dims.reduce((a, b) => a * b, 1);
  const check = new ScaleCheck(file, info.name);
  switch (info.typeName) {
    case 'TQ2_0':
      return decodeTq2_0(bytes, elements, check);
    case 'TQ1_0':
      return decodeTq1_0(bytes, elements, check);
    case 'I2_S':
      return decodeI2_S(bytes, elements, check);
    case 'F16':
    case 'BF16':
    case 'F32':
      return ternaryFromFloats(toFloat32(bytes, info.typeName), check);
    default:
      throw new ModelFormatError(
        file,
        `tensor ${info.name} is ${info.typeName}; a linear weight must be one of ${TERNARY_TYPES.join(', ')}`,
      );
  }
}

/** A norm, embedding table or output matrix of any FLOAT_TYPES type as float32. */
export function decodeFloats(file: string, info: GgufTensorInfo, bytes: Uint8Array): Float32Array {
  if (!isFloatType(info.typeName))
    throw new ModelFormatError(
      file,
      `tensor ${info.name} is ${info.typeName}, expected one of ${FLOAT_TYPES.join(', ')}`,
    );
  return toFloat32(bytes, info.typeName);
}

export function isFloatType(typeName: string): typeName is FloatType {
  return (FLOAT_TYPES as readonly string[]).includes(typeName);
}

/**
 * Undoes llama.cpp's Q/K row permutation for `llama` models (convert_hf_to_gguf's
 * LlamaModel.permute): ggml's RoPE rotates adjacent pairs (2i, 2i + 1) where transformers rotates
 * (i, i + d/2), so the converter stores head row i + (d/2)s (s in 0..1, i < d/2) at 2i + s. This
 * puts each row back, so the math stays transformers'.
 */
export function unpermuteRopeRows(codes: Int8Array, rows: number, cols: number, heads: number): Int8Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Int8Array(codes.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let s = 0; s < 2; s++) {
        const from = (h * headDim + 2 * i + s) * cols;
        out.set(codes.subarray(from, from + cols), (h * headDim + s * half + i) * cols);
      }
    }
  }
  return out;
}
