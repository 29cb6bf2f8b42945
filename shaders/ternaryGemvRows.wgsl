// The GEMV of ternaryGemvWorkgroup.wgsl for CPU adapters (SwiftShader, lavapipe): one invocation
// per row, no workgroup memory and no barriers. On a CPU a barrier switches between every
// invocation of the workgroup, which made the warp-style GEMV ~50x slower there; on a GPU this
// layout reads rows uncoalesced, so GPUs keep the lanes GEMVs.
// #include "lib/ternaryGemvCommon.wgsl"
// The dot product's variant (lib/ternaryDotAddSub.wgsl or lib/ternaryDotPacked.wgsl):
// #slot ternaryDot

@group(0) @binding(0) var<uniform> p: GemvParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

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
