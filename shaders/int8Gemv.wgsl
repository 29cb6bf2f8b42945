// logits[m, row] = dot(h[m, :], W[row, :]) with W in int8 (four per u32) and an f32 scale per
// 64-column block: the lm_head in its compact form. 32 lanes per row (one block per lane and
// step), 8 rows per workgroup; workgroup z is the token. W is split into row parts.

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

const LANES = 32u;
const ROWS = 8u;
var<workgroup> partial: array<f32, 256>;

fn bytesToF32(v: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(bitcast<i32>(v << 24u), bitcast<i32>(v << 16u), bitcast<i32>(v << 8u), bitcast<i32>(v)) >> vec4<u32>(24u));
}

// One 64-column block of `row` against token m's hidden state; columns past `cols` are padding.
fn blockDot(row: u32, b: u32, m: u32) -> f32 {
  let h4 = p.cols / 4u;
  var s = 0.0;
  for (var i = 0u; i < 4u; i++) {
    let wv = w[(row * p.blocks + b) * 4u + i];
    for (var j = 0u; j < 4u; j++) {
      let c4 = b * 16u + i * 4u + j;
      if (c4 < h4) { s += dot(bytesToF32(wv[j]), h[m * h4 + c4]); }
    }
  }
  return s * scales[row * p.blocks + b];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  let row = (wid.x + wid.y * nwg.x) * ROWS + lid / LANES;
  let m = wid.z;
  var acc = 0.0;
  if (row < p.rows) {
    for (var b = lane; b < p.blocks; b += LANES) { acc += blockDot(row, b, m); }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && row < p.rows) {
    y[m * p.outStride + p.outOffset + row] = partial[lid];
  }
}
