// logits[m, row] = dot(h[m, :], W[row, :]) with W in int8 (four per u32) and an f32 scale per
// 64-column block: the lm_head in its compact form. A warp takes 4 rows at once; its 32 lanes read
// consecutive vec4s of them (16 columns each, 512 bytes of a row per step), so every lane has work
// on every step whatever the block count; 32 rows per workgroup; workgroup z is the token. The
// steps are a pipeline constant, so the driver unrolls them and issues their loads together.
// W is split into row parts.
// #include "lib/int8ToF32.wgsl"

struct Params {
  rows: u32,        // rows in this part
  cols: u32,        // a multiple of 4
  outOffset: u32,   // first output column of this part
  outStride: u32,   // floats per token row of the output
  blocks: u32,      // 64-column blocks per row
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> h: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override VEC4S_PER_LANE: u32; // ceil(4 blocks / LANES): steps over a row
const LANES = 32u;
const ROWS_PER_WARP = 4u; // each h value loaded once serves four rows: h reads were the bottleneck
const ROWS = 32u;         // 8 warps x 4 rows
var<workgroup> partial: array<vec4<f32>, 256>;

// Rows past the end read row rows - 1 (in bounds); their results are never written.
fn weightVec4(row: u32, v: u32) -> vec4<u32> {
  return w[min(row, p.rows - 1u) * p.blocks * 4u + v];
}

fn blockScale(row: u32, b: u32) -> f32 {
  return scales[min(row, p.rows - 1u) * p.blocks + b];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  let row0 = (wid.x + wid.y * nwg.x) * ROWS + (lid / LANES) * ROWS_PER_WARP;
  let m = wid.z;
  let h4 = p.cols / 4u;
  let rowVec4s = p.blocks * 4u;
  var acc = vec4(0.0);
  for (var k = 0u; k < VEC4S_PER_LANE; k++) {
    // past the row's last vec4, a lane re-reads it and weighs it 0
    let inside = lane + k * LANES < rowVec4s;
    let v = min(lane + k * LANES, rowVec4s - 1u);
    let w0 = weightVec4(row0, v);
    let w1 = weightVec4(row0 + 1u, v);
    let w2 = weightVec4(row0 + 2u, v);
    let w3 = weightVec4(row0 + 3u, v);
    var s = vec4(0.0);
    for (var j = 0u; j < 4u; j++) {
      let c4 = v * 4u + j;
      if (c4 < h4) {
        let hv = h[m * h4 + c4];
        s += vec4(dot(bytesToF32(w0[j]), hv), dot(bytesToF32(w1[j]), hv), dot(bytesToF32(w2[j]), hv), dot(bytesToF32(w3[j]), hv));
      }
    }
    let b = v / 4u;
    let scale = vec4(blockScale(row0, b), blockScale(row0 + 1u, b), blockScale(row0 + 2u, b), blockScale(row0 + 3u, b));
    acc += select(vec4(0.0), s * scale, inside);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lane == 0u) {
    for (var r = 0u; r < ROWS_PER_WARP; r++) {
      if (row0 + r < p.rows) { y[m * p.outStride + p.outOffset + row0 + r] = partial[lid][r]; }
    }
  }
}
