enable subgroups;
// The GEMV of ternaryGemv.wgsl with its reduction in registers: LANES invocations of one subgroup
// share a row and sum their accumulators with subgroupShuffleXor, with no workgroup memory and no
// barriers (exact either way: the sums are i32). Invocations are numbered by subgroup_id so that
// a row's lanes sit in one subgroup whatever order the hardware gives them.
// Appended by the wrapper: ternaryLayout.wgsl, a ternaryDot4, ternaryGemvCommon.wgsl and
// ternaryGemvLanes.wgsl (the `enable` above must open the module, so this file comes first).

const WG = 256u;
override LANES: u32 = 32u; // a power of two, at most the adapter's smallest subgroup size

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(subgroup_id) subgroup: u32, @builtin(subgroup_invocation_id) inSubgroup: u32,
        @builtin(subgroup_size) subgroupSize: u32) {
  let v = subgroup * subgroupSize + inSubgroup; // 0 .. WG - 1, consecutive within a subgroup
  let lane = v % LANES;
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + v / LANES;
  var acc = laneDot(row, lane, LANES);
  // the row's lanes are an aligned run of LANES inside the subgroup: xor stays within it
  for (var offset = LANES / 2u; offset > 0u; offset >>= 1u) {
    acc += subgroupShuffleXor(acc, offset);
  }
  if (lane == 0u && row < p.rows) {
    writeRow(row, acc);
  }
}
