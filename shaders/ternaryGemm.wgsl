// Y[m, row] (+)= acc / (xScale[m] * rowScale[row]) for M tokens (prefill).
// Tiles of 64 rows x 64 tokens; each of the 256 threads owns 4 consecutive rows x 4 consecutive
// tokens. Per 64-column block, the workgroup stages its rows' weights, already converted to dot
// operands (once per block, not once per token), and its tokens' int8 activations in workgroup
// memory; every thread reuses them.

// #include "lib/ternaryLayout.wgsl"
// #include "lib/linearParams.wgsl"
// The dot product's variant (ternaryOperand, ternaryDotOperand; lib/ternaryDotAddSub.wgsl or
// lib/ternaryDotPacked.wgsl):
// #slot ternaryDot

override RAW_ACC: bool = false;

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const TILE = 64u;
const STRIDE = 17u; // vec4s per operand row of a tile: 64 values + 4 of padding (fewer bank conflicts when staging)
// [operand k of the 64-column block][64 rows or tokens], four per vec4: a thread reads its four
// rows' (tokens') operands for one k with a single 16-byte load.
var<workgroup> wTile: array<vec4<u32>, 272>; // 16 x STRIDE
var<workgroup> xTile: array<vec4<u32>, 272>;

// Row `wr`'s weight word `word` of block b (code 1, weight 0, past the last row).
fn stagedWeights(wr: u32, b: u32, word: u32) -> u32 {
  return select(0x55555555u, w[min(wr, p.rows - 1u) * p.kBlocks * 4u + b * 4u + word], wr < p.rows);
}

// Token t's activation words k .. k + 3 of block b (zeros past the last token).
fn stagedActivations(t: u32, b: u32, k: u32) -> vec4<u32> {
  return select(vec4(0u), xq[(min(t, p.m - 1u) * p.kBlocks * 16u + b * 16u + k) / 4u], t < p.m);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wid.x * TILE;
  let tok0 = wid.y * TILE;
  let tx = lid % 16u; // rows 4 tx .. 4 tx + 3
  let ty = lid / 16u; // tokens 4 ty .. 4 ty + 3
  // What this thread stages per block: one weight word (row lid / 4, operands 4 (lid % 4) ..) and
  // four activation words (token lid / 4, the same operands). The next block's are loaded while
  // the current one is multiplied (a matrix has at least one block).
  let sr = lid / 4u;
  let sk = (lid % 4u) * 4u;
  let wr = row0 + sr;
  let t = tok0 + sr;
  var codes = stagedWeights(wr, 0u, lid % 4u);
  var acts = stagedActivations(t, 0u, sk);
  var acc: array<array<i32, 4>, 4>; // [token i][row j]
  for (var b = 0u; b < p.kBlocks; b++) {
    for (var q = 0u; q < 4u; q++) {
      let k = sk + q;
      wTile[k * STRIDE + sr / 4u][sr % 4u] = ternaryOperand(ternaryCodes(codes, q));
      xTile[k * STRIDE + sr / 4u][sr % 4u] = acts[q];
    }
    workgroupBarrier();
    if (b + 1u < p.kBlocks) {
      codes = stagedWeights(wr, b + 1u, lid % 4u);
      acts = stagedActivations(t, b + 1u, sk);
    }
    for (var k = 0u; k < 16u; k++) {
      let ops = wTile[k * STRIDE + tx];
      let xv = xTile[k * STRIDE + ty];
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i][j] += ternaryDotOperand(ops[j], xv[i]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let t = tok0 + 4u * ty + i;
    if (t >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let r = row0 + 4u * tx + j;
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
