// Four ternary weights against four int8 activations with WGSL's dot4I8Packed (language feature
// packed_4x8_integer_dot_product): what the ternary kernels' slot ternaryDot holds for the `dot4`
// variant (ternaryMatmul.ts). `codes` holds one code (weight + 1: 0, 1 or 2) per byte, as
// ternaryCodes gives them; ternaryOperand turns them into the signed bytes -1, 0, +1 with one
// subtraction for all four (setting each byte's top bit first keeps a byte of 0 from borrowing
// from its neighbour), then one packed dot product does all four. The GEMM converts each weight
// word once and reuses it for 16 tokens.
fn ternaryOperand(codes: u32) -> u32 {
  return ((codes | 0x80808080u) - 0x01010101u) ^ 0x80808080u;
}

fn ternaryDotOperand(w: u32, x: u32) -> i32 {
  return dot4I8Packed(x, w);
}

fn ternaryDot4(codes: u32, x: u32) -> i32 {
  return ternaryDotOperand(ternaryOperand(codes), x);
}
