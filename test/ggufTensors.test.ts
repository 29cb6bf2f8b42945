import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTernary, unpermuteRopeRows } from '../src/loader/gguf/ggufTensors.ts';
import { GGML_TYPES, type GgufTensorInfo } from '../src/loader/gguf/ggufFile.ts';
import { seededRandom } from './random.ts';
import {
  GGML,
  bf16Bytes,
  encodeI2_S,
  encodeTq1_0,
  encodeTq2_0,
  f16Bytes,
  f32Bytes,
  permuteRopeRows,
} from './ggufWriter.ts';
import { roundToF16 } from './float16.ts';

const FILE = 'model.gguf';

function info(type: number, rows: number, cols: number, byteLength: number): GgufTensorInfo {
  return {
    name: 'blk.0.attn_q.weight',
    dims: [cols, rows],
    type,
    typeName: GGML_TYPES[type].name,
    offset: 0,
    byteLength,
  };
}

function randomCodes(n: number, seed: number, zeroShare = 0.4): Int8Array {
  const rand = seededRandom(seed);
  return Int8Array.from({ length: n }, () => {
    const r = rand();
    return r < zeroShare ? 0 : r < (1 + zeroShare) / 2 ? 1 : -1;
  });
}

const refused = (pattern: RegExp) => (e: Error) => {
  assert.equal(e.name, 'ModelFormatError');
  assert.match(e.message, /^model\.gguf: tensor blk\.0\.attn_q\.weight: /);
  assert.match(e.message, pattern);
  return true;
};

test('TQ2_0, TQ1_0 and I2_S: blocks built from known ternary values decode to them and their one scale', () => {
  const rows = 6;
  const cols = 512;
  const scale = roundToF16(0.0371);
  for (const [seed, zeroShare] of [
    [1, 0.4],
    [2, 0],
    [3, 0.95],
  ]) {
    const codes = randomCodes(rows * cols, seed, zeroShare);
    const blocks = (rows * cols) / 256;
    const scales = new Array(blocks).fill(scale);
    for (const [type, bytes] of [
      [GGML.TQ2_0, encodeTq2_0(codes, scales)],
      [GGML.TQ1_0, encodeTq1_0(codes, scales)],
      [GGML.I2_S, encodeI2_S(codes, scale)],
    ] as const) {
      const t = decodeTernary(FILE, info(type, rows, cols, bytes.length), bytes);
      assert.deepEqual(t.codes, codes, GGML_TYPES[type].name);
      assert.equal(t.scale, scale, GGML_TYPES[type].name);
    }
  }
});

test('TQ1_0: every byte value decodes to the base-3 digits of floor(byte * 243 / 256)', () => {
  // the straightforward reading of a byte: five trits t0..t4 with sum t_n 3^(4-n) = floor(b * 243 / 256)
  const digits = (b: number) => {
    let v = Math.floor((b * 243) / 256);
    const out: number[] = [];
    for (let n = 4; n >= 0; n--) {
      out[n] = v % 3;
      v = Math.floor(v / 3);
    }
    return out;
  };
  // every byte value in every position kind: 256 blocks, byte k of block b holding (b + 7k) mod 256
  const blocks = 256;
  const bytes = new Uint8Array(blocks * 54);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < 52; k++) bytes[b * 54 + k] = (b + 7 * k) % 256;
    new DataView(bytes.buffer).setUint16(b * 54 + 52, 0x3c00, true); // d = 1
  }
  const t = decodeTernary(FILE, info(GGML.TQ1_0, blocks, 256, bytes.length), bytes);
  for (let b = 0; b < blocks; b++) {
    const block = bytes.subarray(b * 54, b * 54 + 54);
    const codes = t.codes.subarray(b * 256, b * 256 + 256);
    for (let m = 0; m < 32; m++)
      digits(block[m]).forEach((d, n) => assert.equal(codes[m + 32 * n], d - 1, `block ${b} qs[${m}] digit ${n}`));
    for (let m = 0; m < 16; m++)
      digits(block[32 + m]).forEach((d, n) => assert.equal(codes[160 + m + 16 * n], d - 1, `block ${b} qs[${32 + m}]`));
    for (let m = 0; m < 4; m++)
      digits(block[48 + m])
        .slice(0, 4)
        .forEach((d, n) => assert.equal(codes[240 + m + 4 * n], d - 1, `block ${b} qh[${m}] digit ${n}`));
  }
});

test('TQ1_0/TQ2_0: all-zero blocks (scale 0, as the quantizer writes them) join a tensor of one scale', () => {
  const codes = randomCodes(1024, 4);
  codes.fill(0, 256, 512);
  const scales = [0.5, 0, 0.5, 0.5];
  for (const [type, bytes] of [
    [GGML.TQ2_0, encodeTq2_0(codes, scales)],
    [GGML.TQ1_0, encodeTq1_0(codes, scales)],
  ] as const) {
    const t = decodeTernary(FILE, info(type, 2, 512, bytes.length), bytes);
    assert.deepEqual(t.codes, codes);
    assert.equal(t.scale, 0.5);
  }
  // a block whose scale is 0 holds zeros whatever its codes say
  const bytes = encodeTq2_0(randomCodes(256, 5, 0), [0]);
  const t = decodeTernary(FILE, info(GGML.TQ2_0, 1, 256, bytes.length), bytes);
  assert.ok(t.codes.every((c) => c === 0));
  assert.equal(t.scale, 1);
});

test('TQ1_0/TQ2_0: blocks with different scales are refused, saying why', () => {
  const codes = randomCodes(512, 6);
  for (const [type, encode] of [
    [GGML.TQ2_0, encodeTq2_0],
    [GGML.TQ1_0, encodeTq1_0],
  ] as const) {
    const bytes = encode(codes, [0.5, 0.25]);
    assert.throws(
      () => decodeTernary(FILE, info(type, 1, 512, bytes.length), bytes),
      refused(/block 1 has scale 0\.25 where earlier ones have 0\.5: .*Per-block scales are not supported/),
    );
    const negative = encode(codes, [-0.5, -0.5]);
    assert.throws(
      () => decodeTernary(FILE, info(type, 1, 512, negative.length), negative),
      refused(/block 0 has scale -0\.5, expected a positive number/),
    );
  }
});

test('TQ2_0 and I2_S: the unused 2-bit code 3 is refused', () => {
  const tq = encodeTq2_0(new Int8Array(256), [1]);
  tq[5] |= 3 << 4;
  assert.throws(() => decodeTernary(FILE, info(GGML.TQ2_0, 1, 256, tq.length), tq), refused(/code 3/));
  const i2 = encodeI2_S(new Int8Array(256), 1);
  i2[40] = 0xff;
  assert.throws(
    () => decodeTernary(FILE, info(GGML.I2_S, 2, 128, i2.length), i2),
    refused(/byte 40 holds the 2-bit code 3/),
  );
});

test('I2_S: the scale is the f32 right after the packed bytes; the rest of the 32-byte tail is ignored', () => {
  const codes = randomCodes(4 * 384, 7);
  const bytes = encodeI2_S(codes, 0.123);
  for (let i = codes.length / 4 + 4; i < bytes.length; i++) bytes[i] = 0xa5;
  const t = decodeTernary(FILE, info(GGML.I2_S, 4, 384, bytes.length), bytes);
  assert.deepEqual(t.codes, codes);
  assert.equal(t.scale, Math.fround(0.123));
  const bad = encodeI2_S(codes, Number.NaN);
  assert.throws(
    () => decodeTernary(FILE, info(GGML.I2_S, 4, 384, bad.length), bad),
    refused(/the tensor has scale NaN, expected a positive number/),
  );
  const odd = encodeI2_S(randomCodes(3 * 96, 8), 1);
  assert.throws(
    () => decodeTernary(FILE, info(GGML.I2_S, 3, 96, odd.length), odd),
    refused(/288 weights are not whole 128-weight I2_S blocks/),
  );
});

test('F16, BF16 and F32 linear weights: exactly ternary x scale loads as ternary; anything else is refused', () => {
  const rows = 3;
  const cols = 100;
  const codes = randomCodes(rows * cols, 9);
  const scale = 0.046875; // exact in f16, bf16 and f32
  const values = Array.from(codes, (c) => c * scale);
  for (const [type, bytes] of [
    [GGML.F16, f16Bytes(values)],
    [GGML.BF16, bf16Bytes(values)],
    [GGML.F32, f32Bytes(values)],
  ] as const) {
    const t = decodeTernary(FILE, info(type, rows, cols, bytes.length), bytes);
    assert.deepEqual(t.codes, codes);
    assert.equal(t.scale, scale);
  }
  const notTernary = values.slice();
  const at = notTernary.findIndex((v, i) => i > 10 && v !== 0);
  notTernary[at] *= 1.5;
  const bytes = f32Bytes(notTernary);
  assert.throws(
    () => decodeTernary(FILE, info(GGML.F32, rows, cols, bytes.length), bytes),
    refused(
      new RegExp(`value ${at} is -?0\\.0703125 where earlier non-zero values are \\+-0\\.046875: not a ternary weight`),
    ),
  );
  const zeros = decodeTernary(FILE, info(GGML.F16, 1, 8, 16), new Uint8Array(16));
  assert.deepEqual(zeros, { codes: new Int8Array(8), scale: 1 });
  const q8 = { ...info(GGML.Q8_0, 1, 32, 34), typeName: 'Q8_0' };
  assert.throws(
    () => decodeTernary(FILE, q8, new Uint8Array(34)),
    /tensor blk\.0\.attn_q\.weight is Q8_0; a linear weight must be one of I2_S, TQ1_0, TQ2_0, F16, BF16, F32/,
  );
});

/** Rotates each head's pairs: transformers' rotate_half pairs (i, i + d/2), ggml's normal mode (2i, 2i + 1). */
function rope(x: Float32Array, heads: number, position: number, pairing: 'half' | 'adjacent'): Float32Array {
  const d = x.length / heads;
  const out = x.slice();
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < d / 2; i++) {
      const angle = position / 10000 ** ((2 * i) / d);
      const [a, b] = pairing === 'half' ? [h * d + i, h * d + i + d / 2] : [h * d + 2 * i, h * d + 2 * i + 1];
      out[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
      out[b] = x[b] * Math.cos(angle) + x[a] * Math.sin(angle);
    }
  return out;
}

function matVec(w: Float32Array, x: Float32Array, rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows }, (_, r) => x.reduce((s, v, c) => s + v * w[r * cols + c], 0));
}

test("llama Q/K permutation: llama.cpp's rows under ggml's RoPE give transformers' RoPE, and unpermuting restores the rows", () => {
  const heads = 3;
  const headDim = 8;
  const rows = heads * headDim;
  const cols = 5;
  const rand = seededRandom(12);
  const w = Float32Array.from({ length: rows * cols }, () => rand() - 0.5);
  const x = Float32Array.from({ length: cols }, () => rand() - 0.5);
  const permuted = permuteRopeRows(w, rows, cols, heads);
  // what the permutation is for: ggml's adjacent-pair RoPE on permuted rows = transformers' RoPE, permuted
  const theirs = rope(matVec(permuted, x, rows, cols), heads, 7, 'adjacent');
  const ours = rope(matVec(w, x, rows, cols), heads, 7, 'half');
  const oursPermuted = permuteRopeRows(ours, rows, 1, heads);
  theirs.forEach((v, i) => assert.ok(Math.abs(v - oursPermuted[i]) < 1e-6, `row ${i}`));

  const codes = randomCodes(rows * cols, 13);
  assert.deepEqual(unpermuteRopeRows(permuteRopeRows(codes, rows, cols, heads), rows, cols, heads), codes);
  assert.notDeepEqual(permuteRopeRows(codes, rows, cols, heads), codes);
});
