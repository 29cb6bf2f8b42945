// What both lanes GEMVs share (ternaryGemvWorkgroup.wgsl, ternaryGemvSubgroup.wgsl): `lanes`
// invocations split a row's 64-column blocks, lane l taking blocks l, l + lanes, ... BLOCKS_PER_LANE
// is a pipeline constant (enough for the widest row) so the loop is unrolled and a lane's weight
// loads are all in flight at once rather than one after another.
// #include "ternaryGemvCommon.wgsl"

override BLOCKS_PER_LANE: u32 = 1u;

/** This lane's share of row `row`'s dot product (0 past the last row). */
fn laneDot(row: u32, lane: u32, lanes: u32) -> i32 {
  var acc = 0;
  if (row < p.rows) {
    for (var j = 0u; j < BLOCKS_PER_LANE; j++) {
      let b = lane + j * lanes;
      if (b < p.kBlocks) { acc += blockDot(row, b); }
    }
  }
  return acc;
}
