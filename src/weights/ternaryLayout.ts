// The ternary weight layout on the CPU side: its sizes and the codecs that write it. Shared by the
// loader, which packs weights into it, and the kernels, which read it (shaders/lib/ternaryLayout.wgsl).
/**
 * The GPU layout of a ternary weight matrix [rows, cols] (out x in):
 * row-major; each row is split into 64-column blocks of four u32 words; word `i` of block `b`
 * holds columns 64b + 16i .. 64b + 16i + 15, column c at bits 2(c % 16) as the code `w + 1`
 * (0 = -1, 1 = 0, 2 = +1). Padding columns hold code 1 (weight 0).
 * This is what the kernels read: a GEMV lane takes one block (vec4<u32>) per step, so the 32 lanes
 * on a row read 512 contiguous bytes. Hugging Face's `[out/4, in]` uint8 layout is repacked into it.
 *
 * Quantized activations (int8, four per u32 word, little-endian) come in the matching order: within
 * each group of 16 columns, word q holds columns q, q + 4, q + 8, q + 12. Then `(word >> 2q) &
 * 0x03030303` puts the four weight codes that meet activation word q one per byte, and a single
 * subtraction turns them into the signed bytes dot4I8Packed takes (ternaryLayout.wgsl,
 * ternaryDotPacked.wgsl). In natural order each code had to be moved to its byte separately: about
 * four times the integer work per weight word, a quarter of the 2B gate/up GEMV's time on an H100.
 */
export const BLOCK_COLUMNS = 64;
export const WORDS_PER_BLOCK = 4;
/** u32 words per quantized activation row: four int8 values per word, padded to whole blocks. */
export const ACT_WORDS_PER_BLOCK = BLOCK_COLUMNS / 4;
const ZERO_WORD = 0x55555555; // sixteen codes of 1 (weight 0)

export function blocksFor(cols: number): number {
  return Math.ceil(cols / BLOCK_COLUMNS);
}

export function activationWordsFor(cols: number): number {
  return blocksFor(cols) * ACT_WORDS_PER_BLOCK;
}

/** Where column `c` sits in a row's activation bytes: the inverse of activationColumn in ternaryLayout.wgsl. */
function activationByteOf(c: number): number {
  return (c & ~15) + (c & 3) * 4 + ((c >> 2) & 3);
}

/**
 * Puts `rows` rows of `cols` values into the activation order, each row padded to whole blocks with
 * zeros (`activationWordsFor(cols) * 4` values per row). Used for int8 activations and for the
 * dense baseline's f32 weight rows, which must meet them in the same order.
 */
export function toActivationOrder<T extends Int8Array | Float32Array>(values: T, rows: number, cols: number): T {
  const perRow = activationWordsFor(cols) * 4;
  const out = new (values.constructor as new (n: number) => T)(rows * perRow);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * perRow + activationByteOf(c)] = values[r * cols + c];
  }
  return out;
}

/** The inverse of toActivationOrder: `rows` rows of `cols` values in column order, padding dropped. */
export function fromActivationOrder<T extends Int8Array | Float32Array>(ordered: T, rows: number, cols: number): T {
  const perRow = activationWordsFor(cols) * 4;
  const out = new (ordered.constructor as new (n: number) => T)(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = ordered[r * perRow + activationByteOf(c)];
  }
  return out;
}

/** Packs ternary values (row-major Int8Array of -1/0/+1) into the GPU layout. */
export function packTernary(values: Int8Array, rows: number, cols: number): Uint32Array {
  const wordsPerRow = blocksFor(cols) * WORDS_PER_BLOCK;
  const out = new Uint32Array(rows * wordsPerRow).fill(ZERO_WORD);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      if (v === 0) continue;
      const word = r * wordsPerRow + (c >> 4);
      const shift = 2 * (c & 15);
      out[word] = (out[word] & ~(3 << shift)) | ((v + 1) << shift);
    }
  }
  return out;
}

/**
 * Repacks Hugging Face's BitNet layout (uint8 [rows/4, cols]; row r = i*(rows/4) + j lives in
 * packed[j, c] at bits 2i..2i+1 as w + 1) into the GPU layout, rows [rowStart, rowStart + rowCount).
 */
export function repackHuggingFaceTernary(
  packed: Uint8Array,
  rows: number,
  cols: number,
  rowStart = 0,
  rowCount = rows,
): Uint32Array {
  const quarter = Math.ceil(rows / 4); // packed rows; transformers pads the last group
  const wordsPerRow = blocksFor(cols) * WORDS_PER_BLOCK;
  const out = new Uint32Array(rowCount * wordsPerRow).fill(ZERO_WORD);
  for (let rr = 0; rr < rowCount; rr++) {
    const r = rowStart + rr;
    const i = Math.floor(r / quarter);
    const j = r - i * quarter;
    const src = j * cols;
    const shift = 2 * i;
    const dst = rr * wordsPerRow;
    for (let w = 0; w < cols >> 4; w++) {
      let word = 0;
      for (let t = 0; t < 16; t++) word |= ((packed[src + w * 16 + t] >> shift) & 3) << (2 * t);
      out[dst + w] = word >>> 0;
    }
    for (let c = cols & ~15; c < cols; c++) {
      const code = (packed[src + c] >> shift) & 3;
      const word = dst + (c >> 4);
      const s = 2 * (c & 15);
      out[word] = ((out[word] & ~(3 << s)) | (code << s)) >>> 0;
    }
  }
  return out;
}
