// RMSNorm + int8 quantization of each token row of x (normQuantizeRow.wgsl, prepended by the
// wrapper with ternaryLayout.wgsl): what every BitLinear input needs. One workgroup per row.
//   v = GATED ? relu(gate)^2 * up : x          (BitNet's relu2 MLP: row = [gate | up])

struct Params {
  k: u32,         // features per row
  inStride: u32,  // floats between rows of x
  actWords: u32,  // u32 words per quantized row
  eps: f32,
}

override GATED: bool = false;
override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;

fn rowValue(row: u32, c: u32) -> f32 {
  let base = row * p.inStride;
  if (GATED) {
    let g = max(x[base + c], 0.0);
    return g * g * x[base + p.k + c];
  }
  return x[base + c];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  normQuantizeRow(wid.x, lid, p.k, p.actWords, p.eps);
}
