// The dense baseline's GEMV: y[row] (+)= (sum_k f32(xq[k]) * w[row, k]) / xScale for one token,
// with f32 weights (rows padded to 64-column blocks). Same activations, bindings and work split as
// ternaryGemvWorkgroup.wgsl (32 lanes per row, 8 rows per workgroup), so only the weight format
// differs.
// #include "lib/int8ToF32.wgsl"
// #include "lib/linearParams.wgsl"

@group(0) @binding(0) var<uniform> p: GemvParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> xScale: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const LANES = 32u;
const ROWS = 8u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  let row = (wid.x + wid.y * nwg.x) * ROWS + lid / LANES;
  var acc = 0.0;
  if (row < p.rows) {
    for (var b = lane; b < p.kBlocks; b += LANES) {
      for (var i = 0u; i < 4u; i++) {
        let xv = xq[b * 4u + i];
        let base = (row * p.kBlocks + b) * 16u + i * 4u;
        acc += dot(w[base], bytesToF32(xv.x)) + dot(w[base + 1u], bytesToF32(xv.y)) +
               dot(w[base + 2u], bytesToF32(xv.z)) + dot(w[base + 3u], bytesToF32(xv.w));
      }
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && row < p.rows) {
    let o = p.outOffset + row;
    let v = partial[lid] / xScale[0];
    y[o] = select(v, y[o] + v, p.accumulate == 1u);
  }
}
