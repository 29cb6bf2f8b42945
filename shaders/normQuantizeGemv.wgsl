enable subgroups;
// A decode step's BitLinear with its input's quantization folded in: normQuantize.wgsl, then the
// ternary GEMV, as one dispatch (one token):
//   v = x, or act(gate) * up (GATE; x = [gate | up]);  h = NORM ? RMSNorm(v) * weight : v
//   s = 127 / max(max|h|, 1e-5);  q = clamp(round(h * s), -128, 127)
//   y[row] (+)= (sum_c q[c] * w[row, c]) / (s * rowScale[row])
// Each workgroup first quantizes the whole row into workgroup memory (COLS floats, or twice that
// gated, read from L2), then its lanes stream weight rows against it, LANES lanes per row as in
// ternaryGemvSubgroup.wgsl; a lane's weights are loaded into registers before the prologue, so
// their latency overlaps it. The grid is a few hundred workgroups looping over row groups, not one
// per row group of a tall matrix: every workgroup pays for the prologue, so there must be few
// (with thousands, a fused GEMV lost to two dispatches on an H100).
// Weight codes are 0, 1, 2 (weight + 1) and meet the activations unconverted in dot4I8Packed:
// sum q * (code - 1) = sum q * code - sum q, each lane taking the sum of q over its own blocks.
// #include "lib/ternaryLayout.wgsl"
// #include "lib/gatedActivation.wgsl"

struct Params {
  rows: u32,       // rows in this weight part
  outOffset: u32,  // index in y of this part's first row
  accumulate: u32, // 1: add into y (residual), 0: overwrite
  eps: f32,        // the RMSNorm's (read only with NORM)
}

override COLS: u32;                  // input features
override K_BLOCKS: u32;              // 64-column blocks per weight row: ceil(COLS / 64)
override NORM: bool = true;          // without it, `weight` and `eps` are not read
override WG: u32 = 256u;
override LANES: u32 = 8u;            // lanes per row: a power of two, at most the smallest subgroup
// BLOCKS_PER_LANE (ceil(K_BLOCKS / LANES)) and WORDS_PER_THREAD (ceil(16 K_BLOCKS / WG)) as
// constants: they size the register arrays below, which must hold no more than is used (arrays
// sized for the widest row cost registers on every shape).
// #slot registerArrays

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> rowScale: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// The quantized row: vec4 i of block b (activation words 16b + 4i .. 16b + 4i + 3) at
// xs[i * K_BLOCKS + b], so the lanes of a row, on consecutive blocks, read consecutive vec4s.
var<workgroup> xs: array<vec4<u32>, 4u * K_BLOCKS>;
// one slot per subgroup (there are at most WG)
var<workgroup> partSum: array<f32, WG>;
var<workgroup> partMax: array<f32, WG>;

fn value(c: u32) -> f32 {
  if (GATE == GATE_NONE) { return x[c]; }
  return gatedActivation(x[c], x[COLS + c]);
}

// The prologue's two reductions (the norm's sum of squares, the absmax) share one barrier: the
// absmax is taken before the norm, of |v * weight|, and scaled by the norm after (max |h| =
// inv * max |v * weight|, up to an ulp against normQuantize.wgsl's max of the normalized row).
fn workgroupSumAndMax(sumSq: f32, absMax: f32, subgroup: u32, first: bool, subgroups: u32) -> vec2<f32> {
  let s = subgroupAdd(sumSq);
  let m = subgroupMax(absMax);
  if (first) {
    partSum[subgroup] = s;
    partMax[subgroup] = m;
  }
  workgroupBarrier();
  var total = vec2(0.0, 0.0);
  for (var i = 0u; i < subgroups; i++) {
    total = vec2(total.x + partSum[i], max(total.y, partMax[i]));
  }
  return total;
}

/** This lane's weight blocks of `row` (zeros past the last row): lane, lane + LANES, ... */
fn loadWeights(row: u32, lane: u32) -> array<vec4<u32>, BLOCKS_PER_LANE> {
  var wv: array<vec4<u32>, BLOCKS_PER_LANE>;
  if (row < p.rows) {
    for (var j = 0u; j < BLOCKS_PER_LANE; j++) {
      let b = min(lane + j * LANES, K_BLOCKS - 1u);
      wv[j] = w[row * K_BLOCKS + b];
    }
  }
  return wv;
}

/** For lane 0 of `row`: (its rowScale, the y it adds to: 0 unless accumulating), loaded early as the weights are. */
fn loadRowEnds(row: u32, lane: u32) -> vec2<f32> {
  if (lane != 0u || row >= p.rows) { return vec2(1.0, 0.0); }
  return vec2(rowScale[row], select(0.0, y[p.outOffset + row], p.accumulate == 1u));
}

/** This lane's share of a row's sum q * code, from its blocks `wv` and the quantized row in xs. */
fn rowDot(wv: array<vec4<u32>, BLOCKS_PER_LANE>, lane: u32) -> i32 {
  var acc = 0;
  for (var j = 0u; j < BLOCKS_PER_LANE; j++) {
    let b = lane + j * LANES;
    if (b < K_BLOCKS) {
      for (var i = 0u; i < 4u; i++) {
        let xv = xs[i * K_BLOCKS + b];
        let codes = wv[j][i];
        acc += dot4I8Packed(ternaryCodes(codes, 0u), xv.x) + dot4I8Packed(ternaryCodes(codes, 1u), xv.y) +
               dot4I8Packed(ternaryCodes(codes, 2u), xv.z) + dot4I8Packed(ternaryCodes(codes, 3u), xv.w);
      }
    }
  }
  return acc;
}

/** Blocks of code 1 (weight 0) in every column: rowDot of them is the sum of q over a lane's blocks. */
fn codesOfOne() -> array<vec4<u32>, BLOCKS_PER_LANE> {
  var ones: array<vec4<u32>, BLOCKS_PER_LANE>;
  for (var j = 0u; j < BLOCKS_PER_LANE; j++) { ones[j] = vec4(0x55555555u); }
  return ones;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) subgroup: u32,
        @builtin(subgroup_invocation_id) inSubgroup: u32, @builtin(subgroup_size) subgroupSize: u32) {
  let subgroups = (WG + subgroupSize - 1u) / subgroupSize;
  let first = inSubgroup == 0u;
  let t = subgroup * subgroupSize + inSubgroup; // consecutive within a subgroup
  let lane = t % LANES;
  let rowsPerGroup = WG / LANES;
  var group = wid.x * rowsPerGroup;
  var wv = loadWeights(group + t / LANES, lane);
  var ends = loadRowEnds(group + t / LANES, lane);

  // Prologue: the row, normalized and quantized as normQuantize.wgsl does (the absmax up to an ulp:
  // workgroupSumAndMax), into xs.
  var v: array<vec4<f32>, WORDS_PER_THREAD>;
  var wt: array<vec4<f32>, WORDS_PER_THREAD>;
  var ss = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    for (var e = 0u; e < 4u; e++) {
      // columns past COLS (padding of the last block, or idle threads) read column 0 and weigh 0
      let col = activationColumn(lid + j * WG, e);
      let inside = col < COLS;
      let c = select(0u, col, inside);
      v[j][e] = select(0.0, value(c), inside);
      if (NORM) { wt[j][e] = select(0.0, weight[c], inside); } else { wt[j][e] = 1.0; }
    }
    ss += dot(v[j], v[j]);
  }
  var m = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    let h = abs(v[j] * wt[j]);
    m = max(m, max(max(h.x, h.y), max(h.z, h.w)));
  }
  let stats = workgroupSumAndMax(ss, m, subgroup, first, subgroups);
  var inv = 1.0;
  if (NORM) { inv = inverseSqrt(stats.x / f32(COLS) + p.eps); }
  let scale = 127.0 / max(stats.y * inv, 1e-5);
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    let word = lid + j * WG;
    if (word < 16u * K_BLOCKS) {
      var packed = 0u;
      for (var e = 0u; e < 4u; e++) {
        let q = i32(clamp(round(v[j][e] * inv * wt[j][e] * scale), -128.0, 127.0));
        packed |= (u32(q) & 0xffu) << (8u * e);
      }
      xs[(word % 16u) / 4u * K_BLOCKS + word / 16u][word % 4u] = packed;
    }
  }
  workgroupBarrier(); // publishes xs
  let rowOffset = rowDot(codesOfOne(), lane); // what code - 1 takes off this lane's share of each row

  // The GEMV: row groups of WG / LANES rows, the grid striding over them. The first group's
  // weights were loaded before the prologue (their latency overlaps it), each next one's before
  // the current one's sums.
  // Loops here count up by one to a bound fixed before them: Dawn guards every other loop with
  // an iteration counter of its own (its robustness), which cost 2-3% of a decode step on an H200.
  let stride = nwg.x * rowsPerGroup;
  let passes = select(0u, (p.rows - group + stride - 1u) / stride, group < p.rows);
  let laneBits = countTrailingZeros(LANES);
  for (var k = 0u; k < passes; k++) {
    let row = group + t / LANES;
    var acc = rowDot(wv, lane);
    let rowEnds = ends;
    wv = loadWeights(group + stride + t / LANES, lane);
    ends = loadRowEnds(group + stride + t / LANES, lane);
    acc -= rowOffset;
    // the row's lanes are an aligned run of LANES inside the subgroup: xor stays within it
    for (var bit = 0u; bit < laneBits; bit++) {
      acc += subgroupShuffleXor(acc, (LANES / 2u) >> bit);
    }
    if (lane == 0u && row < p.rows) {
      y[p.outOffset + row] = rowEnds.y + f32(acc) / (scale * rowEnds.x);
    }
    group += stride;
  }
}
