// RMSNorm then int8 quantization, fused: what every BitLinear input needs.
//   v = GATED ? relu(gate)^2 * up : x          (BitNet's relu2 MLP: row = [gate | up])
//   h = (v / sqrt(mean(v^2) + eps)) * weight    (float32, as transformers computes it)
//   s = 127 / max(max|h|, 1e-5);  q = clamp(round(h * s), -128, 127), four int8 per u32
// One workgroup per token row; the row is small (a few KB) so it is simply re-read per pass.

struct Params {
  k: u32,         // features per row
  inStride: u32,  // floats between rows of x
  actWords: u32,  // u32 words per quantized row
  eps: f32,
}

override GATED: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> xq: array<u32>;
@group(0) @binding(4) var<storage, read_write> xScale: array<f32>;

const WG = 256u;
var<workgroup> red: array<f32, WG>;

fn value(base: u32, i: u32) -> f32 {
  if (GATED) {
    let g = max(x[base + i], 0.0);
    return g * g * x[base + p.k + i];
  }
  return x[base + i];
}

fn reduceSum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn reduceMax(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  let base = row * p.inStride;
  var ss = 0.0;
  for (var i = lid; i < p.k; i += WG) {
    let v = value(base, i);
    ss += v * v;
  }
  let inv = inverseSqrt(reduceSum(lid, ss) / f32(p.k) + p.eps);
  var m = 0.0;
  for (var i = lid; i < p.k; i += WG) {
    m = max(m, abs(value(base, i) * inv * weight[i]));
  }
  let scale = 127.0 / max(reduceMax(lid, m), 1e-5);
  if (lid == 0u) { xScale[row] = scale; }
  for (var w = lid; w < p.actWords; w += WG) {
    var packed = 0u;
    for (var j = 0u; j < 4u; j++) {
      let c = w * 4u + j;
      if (c < p.k) {
        let q = i32(clamp(round(value(base, c) * inv * weight[c] * scale), -128.0, 127.0));
        packed |= (u32(q) & 0xffu) << (8u * j);
      }
    }
    xq[row * p.actWords + w] = packed;
  }
}
