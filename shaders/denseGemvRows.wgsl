// lmHeadRows.wgsl's dot product for a bf16 W (two values per u32, low half first): one row
// against token m's h, the bindings and parameters of denseGemv.wgsl.

struct Params {
  rows: u32,
  cols: u32,
  outOffset: u32,
  outStride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> h: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn rowDot(row: u32, m: u32) -> f32 {
  let words = p.cols / 2u;
  var acc = 0.0;
  for (var i = 0u; i < words; i++) {
    let word = w[row * words + i];
    let hv = h[m * words + i];
    acc += hv.x * bitcast<f32>(word << 16u) + hv.y * bitcast<f32>(word & 0xffff0000u);
  }
  return acc;
}
