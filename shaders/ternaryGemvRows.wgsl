// The GEMV of ternaryGemv.wgsl for CPU adapters (SwiftShader, lavapipe): one invocation per
// row, no workgroup memory and no barriers. On a CPU a barrier switches between every
// invocation of the workgroup, which made the warp-style GEMV ~50x slower there; on a GPU this
// layout reads rows uncoalesced, so GPUs keep ternaryGemv.wgsl.
// Prepended by the wrapper: ternaryLayout.wgsl, a ternaryDot4 and ternaryGemvCommon.wgsl.

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (row >= p.rows) { return; }
  var acc = 0;
  for (var b = 0u; b < p.kBlocks; b++) {
    acc += blockDot(row, b);
  }
  writeRow(row, acc);
}
