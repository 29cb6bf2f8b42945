// y = (x / sqrt(mean(x^2) + eps)) * weight, float32; one workgroup per row. Rows are taken from
// x starting at `firstRow` (the final norm before lm_head often needs only the last token).

struct Params {
  k: u32,
  firstRow: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let src = (p.firstRow + wid.x) * p.k;
  var ss = 0.0;
  for (var i = lid; i < p.k; i += WG) {
    ss += x[src + i] * x[src + i];
  }
  red[lid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0] / f32(p.k) + p.eps);
  for (var i = lid; i < p.k; i += WG) {
    y[wid.x * p.k + i] = x[src + i] * inv * weight[i];
  }
}
