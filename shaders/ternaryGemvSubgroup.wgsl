enable subgroups;
// The GEMV of ternaryGemvWorkgroup.wgsl with its reduction in registers: LANES invocations of one
// subgroup share a row and sum their accumulators with subgroupShuffleXor, with no workgroup memory
// and no barriers (exact either way: the sums are i32). Invocations are numbered by subgroup_id so
// that a row's lanes sit in one subgroup whatever order the hardware gives them.
// #include "lib/ternaryGemvLanes.wgsl"
// The dot product's variant (lib/ternaryDotAddSub.wgsl or lib/ternaryDotPacked.wgsl):
// #slot ternaryDot

@group(0) @binding(0) var<uniform> p: GemvParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

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
