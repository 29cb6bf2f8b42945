// y[row] (+)= acc / (xScale * rowScale[row]) for one token: acc = sum_k xq[k] * w[row, k] in i32.
// Prepended by the wrapper: ternaryLayout.wgsl, a ternaryDot4 (add/sub or dot4I8Packed) and
// ternaryGemvCommon.wgsl.
// 32 lanes share a row so a warp reads 512 contiguous bytes; 8 rows per workgroup.
// BLOCKS_PER_LANE is a pipeline constant (enough for the widest row) so the loop is unrolled and a
// lane's weight loads are all in flight at once rather than one after another.

const LANES = 32u;
const ROWS = 8u;
override BLOCKS_PER_LANE: u32 = 1u;
var<workgroup> partial: array<i32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  let lane = lid % LANES;
  let row = group * ROWS + lid / LANES;
  var acc = 0;
  if (row < p.rows) {
    for (var j = 0u; j < BLOCKS_PER_LANE; j++) {
      let b = lane + j * LANES;
      if (b < p.kBlocks) { acc += blockDot(row, b); }
    }
  }
  partial[lid] = acc;
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
