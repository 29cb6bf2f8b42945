// The bf16 lm_head (lmHeadBf16.wgsl) for CPU adapters: one invocation per row, no barriers (see
// ternaryGemvRows.wgsl for why); workgroup z is the token. Same bindings and parameters as
// lmHeadBf16.wgsl.

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

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * 64u + lid;
  let m = wid.z;
  if (row >= p.rows) { return; }
  y[m * p.outStride + p.outOffset + row] = rowDot(row, m);
}
