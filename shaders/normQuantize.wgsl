// RMSNorm then int8 quantization, fused: what every BitLinear input needs (the arithmetic is in
// normQuantizeRow.wgsl, prepended by the wrapper). One workgroup per token row; the row is small
// (a few KB) so it is simply re-read per pass.

struct Params {
  k: u32,         // features per row
  inStride: u32,  // floats between rows of x
  actWords: u32,  // u32 words per quantized row
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> xq: array<u32>;
@group(0) @binding(4) var<storage, read_write> xScale: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  let base = row * p.inStride;
  let n = normRow(lid, base, p.k, p.eps);
  if (lid == 0u) { xScale[row] = n.scale; }
  for (var w = lid; w < p.actWords; w += 256u) {
    xq[row * p.actWords + w] = quantizeWord(base, p.k, n, w);
  }
}
