// What the ternary GEMVs share: a block's dot product and the epilogue
// y[row] (+)= acc / (xScale * rowScale[row]). The kernel declares the bindings p (GemvParams),
// w, rowScale, xq, xScale and y, and fills the slot ternaryDot (ternaryDot4).
// Weights: row-major, each row `kBlocks` vec4<u32> blocks of 64 columns (16 two-bit codes per u32).
// #include "ternaryLayout.wgsl"
// #include "linearParams.wgsl"

override RAW_ACC: bool = false; // tests: write the i32 accumulator's bits instead of the scaled f32

// One 64-column block of a row against the matching 64 int8 activations: weight word i and
// activation words 4i .. 4i + 3 hold the same 16 columns (ternaryLayout.wgsl).
fn blockDot(row: u32, b: u32) -> i32 {
  let wv = w[row * p.kBlocks + b];
  var acc = 0;
  for (var i = 0u; i < 4u; i++) {
    let xv = xq[b * 4u + i];
    let codes = wv[i];
    acc += ternaryDot4(ternaryCodes(codes, 0u), xv.x) + ternaryDot4(ternaryCodes(codes, 1u), xv.y) +
           ternaryDot4(ternaryCodes(codes, 2u), xv.z) + ternaryDot4(ternaryCodes(codes, 3u), xv.w);
  }
  return acc;
}

fn writeRow(row: u32, acc: i32) {
  let o = p.outOffset + row;
  if (RAW_ACC) {
    y[o] = bitcast<f32>(acc);
  } else {
    let v = f32(acc) / (xScale[0] * rowScale[row]);
    y[o] = select(v, y[o] + v, p.accumulate == 1u);
  }
}
