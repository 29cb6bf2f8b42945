// RMSNorm then int8 quantization of one row, shared by the kernels that end in a BitLinear input
// (normQuantize.wgsl, attentionCombineQuantize.wgsl). The including kernel defines
// `fn rowValue(row: u32, col: u32) -> f32` (the row's values before the norm) and WG, and calls
// normQuantizeRow from uniform control flow with the workgroup's threads.
//   h = (v / sqrt(mean(v^2) + eps)) * weight    (float32, as transformers computes it)
//   s = 127 / max(max|h|, 1e-5);  q = clamp(round(h * s), -128, 127), four int8 per u32 in the
//   column order of ternaryLayout.wgsl (prepended by the wrapper)
// Each thread loads its WORDS_PER_THREAD groups of four columns once, into registers: the trip
// counts are pipeline constants, so every load is issued up front. (With a runtime-bounded loop
// re-reading the row per phase, the loads ran one after another and the norm took 10-17 us on an
// H100.)

override WORDS_PER_THREAD: u32 = 1u; // ceil(actWords / WG) for the widest row the kernel serves
const MAX_WORDS = 16u;               // function-scope arrays need a constant size

@group(0) @binding(2) var<storage, read> normWeight: array<f32>;
@group(0) @binding(3) var<storage, read_write> xq: array<u32>;
@group(0) @binding(4) var<storage, read_write> xScale: array<f32>;

var<workgroup> red: array<f32, WG>;

fn reduceSum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn reduceMax(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

/** Normalizes and quantizes row `row` of `k` features into xq (actWords words) and xScale. */
fn normQuantizeRow(row: u32, lid: u32, k: u32, actWords: u32, eps: f32) {
  var v: array<vec4<f32>, MAX_WORDS>;
  var wt: array<vec4<f32>, MAX_WORDS>;
  var ss = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    for (var e = 0u; e < 4u; e++) {
      // columns past k (padding of the last block, or idle threads) read column 0 and weigh 0
      let col = activationColumn(lid + j * WG, e);
      let inside = col < k;
      let c = select(0u, col, inside);
      v[j][e] = select(0.0, rowValue(row, c), inside);
      wt[j][e] = select(0.0, normWeight[c], inside);
    }
    ss += dot(v[j], v[j]);
  }
  let inv = inverseSqrt(reduceSum(lid, ss) / f32(k) + eps);
  var m = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    m = max(m, max(max(abs(v[j].x * inv * wt[j].x), abs(v[j].y * inv * wt[j].y)),
                   max(abs(v[j].z * inv * wt[j].z), abs(v[j].w * inv * wt[j].w))));
  }
  let scale = 127.0 / max(reduceMax(lid, m), 1e-5);
  if (lid == 0u) { xScale[row] = scale; }
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    let w = lid + j * WG;
    if (w < actWords) {
      var packed = 0u;
      for (var e = 0u; e < 4u; e++) {
        let q = i32(clamp(round(v[j][e] * inv * wt[j][e] * scale), -128.0, 127.0));
        packed |= (u32(q) & 0xffu) << (8u * e);
      }
      xq[row * actWords + w] = packed;
    }
  }
}
