// lmHeadRows.wgsl's dot product for an int8 W (four per u32, an f32 scale per 64-column block):
// one row against token m's h, the bindings and parameters of int8Gemv.wgsl.

struct Params {
  rows: u32,
  cols: u32,
  outOffset: u32,
  outStride: u32,
  blocks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> h: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn rowDot(row: u32, m: u32) -> f32 {
  let h4 = p.cols / 4u;
  var acc = 0.0;
  for (var b = 0u; b < p.blocks; b++) {
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
      let wv = w[(row * p.blocks + b) * 4u + i];
      for (var j = 0u; j < 4u; j++) {
        let c4 = b * 16u + i * 4u + j;
        if (c4 < h4) { s += dot(bytesToF32(wv[j]), h[m * h4 + c4]); }
      }
    }
    acc += s * scales[row * p.blocks + b];
  }
  return acc;
}
