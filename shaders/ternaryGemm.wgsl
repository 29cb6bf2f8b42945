// Y[m, row] (+)= acc / (xScale[m] * rowScale[row]) for M tokens (prefill).
// Needs ternaryOperand / ternaryDotOperand (prepended by the wrapper). Tiles of 64 rows x 64
// tokens; each of the 256 threads owns 4 rows x 4 tokens. Per 64-column block, the workgroup
// stages its rows' weights, already converted to dot operands (once per block, not once per
// token), and its tokens' int8 activations in workgroup memory; every thread reuses them.

struct Params {
  rows: u32,       // rows in this weight part
  kBlocks: u32,    // 64-column blocks per row
  outOffset: u32,  // column in Y of this part's first row
  accumulate: u32, // 1: add into Y (residual), 0: overwrite
  m: u32,          // tokens
  outStride: u32,  // floats between token rows of Y
}

override RAW_ACC: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<u32>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const TILE = 64u;
var<workgroup> wTile: array<u32, 1088>;     // 64 rows x 16 operands (4 columns each), rows padded to 17
var<workgroup> xTile: array<u32, 1088>;     // 64 tokens x 16 act words, rows padded to 17

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wid.x * TILE;
  let tok0 = wid.y * TILE;
  let tx = lid % 16u; // rows tx + 16 * j
  let ty = lid / 16u; // tokens ty + 16 * i
  let actWords = p.kBlocks * 16u;
  var acc: array<array<i32, 4>, 4>; // [token i][row j]
  for (var b = 0u; b < p.kBlocks; b++) {
    let wr = row0 + lid / 4u;
    let codes = select(0x55555555u, w[min(wr, p.rows - 1u) * p.kBlocks * 4u + b * 4u + lid % 4u], wr < p.rows);
    for (var q = 0u; q < 4u; q++) {
      wTile[(lid / 4u) * 17u + (lid % 4u) * 4u + q] = ternaryOperand(codes >> (8u * q));
    }
    for (var e = lid; e < 1024u; e += 256u) {
      let t = tok0 + e / 16u;
      xTile[(e / 16u) * 17u + e % 16u] = select(0u, xq[min(t, p.m - 1u) * actWords + b * 16u + e % 16u], t < p.m);
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      var ops: array<u32, 4>;
      for (var j = 0u; j < 4u; j++) {
        ops[j] = wTile[(tx + 16u * j) * 17u + k];
      }
      for (var i = 0u; i < 4u; i++) {
        let xv = xTile[(ty + 16u * i) * 17u + k];
        for (var j = 0u; j < 4u; j++) {
          acc[i][j] += ternaryDotOperand(ops[j], xv);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let t = tok0 + ty + 16u * i;
    if (t >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let r = row0 + tx + 16u * j;
      if (r >= p.rows) { continue; }
      let o = t * p.outStride + p.outOffset + r;
      if (RAW_ACC) {
        y[o] = bitcast<f32>(acc[i][j]);
      } else {
        let v = f32(acc[i][j]) / (xScale[t] * rowScale[r]);
        y[o] = select(v, y[o] + v, p.accumulate == 1u);
      }
    }
  }
}
