// Four ternary weights against four int8 activations with WGSL's dot4I8Packed
// (language feature packed_4x8_integer_dot_product). The 2-bit codes (weight + 1) are turned into
// four signed bytes {-1, 0, +1} without multiplies (ternaryOperand), then one packed dot product
// does all four. The GEMM converts each weight word once and reuses it for 16 tokens.
fn ternaryOperand(codes: u32) -> u32 {
  let spread = (codes & 0x3u) | ((codes & 0xcu) << 6u) | ((codes & 0x30u) << 12u) | ((codes & 0xc0u) << 18u);
  let plus = (spread >> 1u) & 0x01010101u;
  let minus = ~(spread | (spread >> 1u)) & 0x01010101u;
  return plus | (minus * 0xffu);
}

fn ternaryDotOperand(w: u32, x: u32) -> i32 {
  return dot4I8Packed(x, w);
}

fn ternaryDot4(codes: u32, x: u32) -> i32 {
  return ternaryDotOperand(ternaryOperand(codes), x);
}
