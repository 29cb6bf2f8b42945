// y[row] (+)= acc / (xScale * rowScale[row]) for one token: acc = sum_k xq[k] * w[row, k] in i32.
// Prepended by the wrapper: ternaryLayout.wgsl, a ternaryDot4 (add/sub or dot4I8Packed),
// ternaryGemvCommon.wgsl and ternaryGemvLanes.wgsl.
// 32 lanes share a row so a warp reads 512 contiguous bytes; 8 rows per workgroup. The lanes sum
// through workgroup memory (ternaryGemvSubgroup.wgsl does it in registers where it can).

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
