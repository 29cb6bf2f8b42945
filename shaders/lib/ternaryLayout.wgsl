// The column order of quantized activations, and the weight codes that meet each activation word
// (ternaryLayout.ts describes both layouts). Within every group of 16 columns, activation word q
// holds columns q, q + 4, q + 8 and q + 12, one int8 per byte. A ternary weight word holds the
// same 16 columns as 2-bit codes, column c at bits 2c, so shifting it right by 2q and masking puts
// the codes of exactly those four columns one per byte: no per-code unpacking in the dot products.

/** The column (within a row) that byte `byte` of activation word `word` holds. */
fn activationColumn(word: u32, byte: u32) -> u32 {
  return (word / 4u) * 16u + byte * 4u + word % 4u;
}

/** The four 2-bit codes of `word` that meet activation word q of its 16-column group, one per byte. */
fn ternaryCodes(word: u32, q: u32) -> u32 {
  return (word >> (2u * q)) & 0x03030303u;
}
