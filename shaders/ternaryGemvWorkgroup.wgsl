// y[row] (+)= acc / (xScale * rowScale[row]) for one token: acc = sum_k xq[k] * w[row, k] in i32.
// 32 lanes share a row so a warp reads 512 contiguous bytes; 8 rows per workgroup. The lanes sum
// through workgroup memory (ternaryGemvSubgroup.wgsl does it in registers where it can).
// #include "lib/ternaryGemvLanes.wgsl"
// The dot product's variant (lib/ternaryDotAddSub.wgsl or lib/ternaryDotPacked.wgsl):
// #slot ternaryDot

@group(0) @binding(0) var<uniform> p: GemvParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const LANES = 32u;
const ROWS = 8u;
var<workgroup> partial: array<i32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  let lane = lid % LANES;
  let row = group * ROWS + lid / LANES;
  partial[lid] = laneDot(row, lane, LANES);
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  if (lane == 0u && row < p.rows) {
    writeRow(row, partial[lid]);
  }
}
