// Four ternary weights against four int8 activations, by integer add and subtract only: what the
// ternary kernels' slot ternaryDot holds for the `addsub` variant (ternaryMatmul.ts).
// `codes` holds one 2-bit code per byte (code = weight + 1: 0 -> -1, 1 -> 0, 2 -> +1), as
// ternaryCodes gives them; `x` holds four int8 activations, byte t against code t. The operand the
// GEMM stages is the codes themselves (ternaryDotPacked.wgsl converts them to bytes there).
fn ternaryOperand(codes: u32) -> u32 {
  return codes;
}

fn ternaryDotOperand(codes: u32, x: u32) -> i32 {
  var acc = 0;
  for (var t = 0u; t < 4u; t++) {
    let xv = i32(x << (24u - 8u * t)) >> 24u;
    let c = (codes >> (8u * t)) & 3u;
    acc += select(0, xv, c == 2u) - select(0, xv, c == 0u);
  }
  return acc;
}

fn ternaryDot4(codes: u32, x: u32) -> i32 {
  return ternaryDotOperand(codes, x);
}
