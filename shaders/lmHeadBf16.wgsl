// logits[m, row] = dot(h[m, :], W[row, :]) with W in bf16 (two values per u32, low half first):
// the lm_head, which BitNet keeps in full precision. 32 lanes per row, 8 rows per workgroup;
// workgroup z is the token. W is split into row parts that each fit one binding.

struct Params {
  rows: u32,        // rows in this part
  cols: u32,        // even
  outOffset: u32,   // first output column of this part
  outStride: u32,   // floats per token row of the output
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> h: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const LANES = 32u;
const ROWS = 8u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  let row = (wid.x + wid.y * nwg.x) * ROWS + lid / LANES;
  let m = wid.z;
  let words = p.cols / 2u;
  var acc = 0.0;
  if (row < p.rows) {
    for (var i = lane; i < words; i += LANES) {
      let word = w[row * words + i];
      let hv = h[m * words + i];
      acc += hv.x * bitcast<f32>(word << 16u) + hv.y * bitcast<f32>(word & 0xffff0000u);
    }
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
