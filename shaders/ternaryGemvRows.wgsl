// The GEMV of ternaryGemv.wgsl for CPU adapters (SwiftShader, lavapipe): one invocation per
// row, no workgroup memory and no barriers. On a CPU a barrier switches between every
// invocation of the workgroup, which made the warp-style GEMV ~50x slower there; on a GPU this
// layout reads rows uncoalesced, so GPUs keep ternaryGemv.wgsl. Same bindings and parameters.

struct Params {
  rows: u32,
  kBlocks: u32,
  outOffset: u32,
  accumulate: u32,
}

override RAW_ACC: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
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
    let wv = w[row * p.kBlocks + b];
    for (var i = 0u; i < 4u; i++) {
      let xv = xq[b * 4u + i];
      let codes = wv[i];
      acc += ternaryDot4(codes, xv.x) + ternaryDot4(codes >> 8u, xv.y) +
             ternaryDot4(codes >> 16u, xv.z) + ternaryDot4(codes >> 24u, xv.w);
    }
  }
  let o = p.outOffset + row;
  if (RAW_ACC) {
    y[o] = bitcast<f32>(acc);
  } else {
    let v = f32(acc) / (xScale[0] * rowScale[row]);
    y[o] = select(v, y[o] + v, p.accumulate == 1u);
  }
}
