// The GEMM of ternaryGemm.wgsl for CPU adapters (SwiftShader, lavapipe): each invocation owns one
// row for TOKENS tokens, with no workgroup memory and no barriers. On a CPU a barrier switches
// between every invocation of the workgroup: the tiled GEMM took 12 s for a 4-token prompt of the
// default model on SwiftShader (this one: 0.4 s). Each weight word is converted to dot operands
// once and used for TOKENS tokens (8 measured faster than 4 on both drivers).

// #include "lib/ternaryLayout.wgsl"
// #include "lib/linearParams.wgsl"
// The dot product's variant (ternaryOperand, ternaryDotOperand; lib/ternaryDotAddSub.wgsl or
// lib/ternaryDotPacked.wgsl):
// #slot ternaryDot

override RAW_ACC: bool = false;
const TOKENS = 8u; // tokens per invocation: GEMM_TILE.rows in ternaryMatmul.ts

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x * 64u + lid;
  let tok0 = wid.y * TOKENS;
  if (row >= p.rows) { return; }
  var acc: array<i32, TOKENS>;
  for (var b = 0u; b < p.kBlocks; b++) {
    let wv = w[row * p.kBlocks + b];
    for (var i = 0u; i < 4u; i++) {
      let codes = wv[i];
      let o0 = ternaryOperand(ternaryCodes(codes, 0u));
      let o1 = ternaryOperand(ternaryCodes(codes, 1u));
      let o2 = ternaryOperand(ternaryCodes(codes, 2u));
      let o3 = ternaryOperand(ternaryCodes(codes, 3u));
      for (var t = 0u; t < TOKENS; t++) {
        // Tokens past the last repeat it: their sums are computed and never written.
        let xv = xq[(min(tok0 + t, p.m - 1u) * p.kBlocks + b) * 4u + i];
        acc[t] += ternaryDotOperand(o0, xv.x) + ternaryDotOperand(o1, xv.y) + ternaryDotOperand(o2, xv.z) + ternaryDotOperand(o3, xv.w);
      }
    }
  }
  for (var t = 0u; t < TOKENS; t++) {
    let token = tok0 + t;
    if (token >= p.m) { break; }
    let o = token * p.outStride + p.outOffset + row;
    if (RAW_ACC) {
      y[o] = bitcast<f32>(acc[t]);
    } else {
      let v = f32(acc[t]) / (xScale[token] * rowScale[row]);
      y[o] = select(v, y[o] + v, p.accumulate == 1u);
    }
  }
}
