// y[row] (+)= acc / (xScale * rowScale[row]) for one token: acc = sum_k xq[k] * w[row, k] in i32.
// Needs ternaryDot4 (prepended by the wrapper: add/sub or dot4I8Packed).
// Weights: row-major, each row `kBlocks` vec4<u32> blocks of 64 columns (16 two-bit codes per u32).
// 32 lanes share a row so a warp reads 512 contiguous bytes; 8 rows per workgroup.

struct Params {
  rows: u32,       // rows in this weight part
  kBlocks: u32,    // 64-column blocks per row
  outOffset: u32,  // index in y of this part's first row
  accumulate: u32, // 1: add into y (residual), 0: overwrite
}

override RAW_ACC: bool = false; // tests: write the i32 accumulator's bits instead of the scaled f32

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const LANES = 32u;
const ROWS = 8u;
var<workgroup> partial: array<i32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let group = wid.x + wid.y * nwg.x;
  let lane = lid % LANES;
  let row = group * ROWS + lid / LANES;
  var acc = 0;
  if (row < p.rows) {
    for (var b = lane; b < p.kBlocks; b += LANES) {
      let wv = w[row * p.kBlocks + b];
      for (var i = 0u; i < 4u; i++) {
        let xv = xq[b * 4u + i];
        let codes = wv[i];
        acc += ternaryDot4(codes, xv.x) + ternaryDot4(codes >> 8u, xv.y) +
               ternaryDot4(codes >> 16u, xv.z) + ternaryDot4(codes >> 24u, xv.w);
      }
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
    let total = partial[lid];
    let o = p.outOffset + row;
    if (RAW_ACC) {
      y[o] = bitcast<f32>(total);
    } else {
      let v = f32(total) / (xScale[0] * rowScale[row]);
      y[o] = select(v, y[o] + v, p.accumulate == 1u);
    }
  }
}
