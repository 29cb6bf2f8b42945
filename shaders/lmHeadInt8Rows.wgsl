// The int8 lm_head (lmHeadInt8.wgsl: four values per u32, an f32 scale per 64-column block) for
// CPU adapters: one invocation per row, no barriers (see ternaryGemvRows.wgsl for why); workgroup z
// is the token. Same bindings and parameters as lmHeadInt8.wgsl.
// #include "lib/int8ToF32.wgsl"

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

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * 64u + lid;
  let m = wid.z;
  if (row >= p.rows) { return; }
  y[m * p.outStride + p.outOffset + row] = rowDot(row, m);
}
