// Per-row int8 quantization of activations (BitNet b1.58's absmax scheme):
//   s = 127 / max(max|x|, 1e-5);  q = clamp(round(x * s), -128, 127)
// One workgroup per row. Four int8 values are packed little-endian into each u32, in the column
// order of ternaryLayout.wgsl; the row is zero-padded to `actWords` words so ternary kernels can
// read whole 64-column blocks.
// #include "lib/ternaryLayout.wgsl"

struct Params {
  k: u32,         // columns of x in use
  inStride: u32,  // floats between rows of x
  actWords: u32,  // u32 words per quantized row (a multiple of 16)
  rows: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> xq: array<u32>;
@group(0) @binding(3) var<storage, read_write> xScale: array<f32>;

const WG = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  let base = row * p.inStride;
  var m = 0.0;
  for (var i = lid; i < p.k; i += WG) {
    m = max(m, abs(x[base + i]));
  }
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let scale = 127.0 / max(red[0], 1e-5);
  if (lid == 0u) {
    xScale[row] = scale;
  }
  for (var w = lid; w < p.actWords; w += WG) {
    var packed = 0u;
    for (var j = 0u; j < 4u; j++) {
      let c = activationColumn(w, j);
      if (c < p.k) {
        let q = i32(clamp(round(x[base + c] * scale), -128.0, 127.0));
        packed |= (u32(q) & 0xffu) << (8u * j);
      }
    }
    xq[row * p.actWords + w] = packed;
  }
}
