// int8 quantization of a BitLinear's input, fused with what comes just before it:
//   v = x, or act(gate) * up for the gated MLP (GATE; row = [gate | up]): relu(gate)^2 * up
//       (BitNet b1.58) or silu(gate) * up = gate / (1 + exp(-gate)) * up (Llama)
//   h = NORM ? (v / sqrt(mean(v^2) + eps)) * weight : v    (float32, as transformers computes it)
//   s = 127 / max(max|h|, 1e-5);  q = clamp(round(h * s), -128, 127), four int8 per u32 in the
//   column order of ternaryLayout.wgsl
// One workgroup per token row. Each thread loads its WORDS_PER_THREAD groups of four columns once,
// into registers: the trip counts are pipeline constants, so every load is issued up front. (With
// a runtime-bounded loop re-reading the row per phase, the loads ran one after another and this
// small kernel took 10-17 us on an H100.)
// #include "lib/ternaryLayout.wgsl"
// #include "lib/gatedActivation.wgsl"

struct Params {
  k: u32,         // features per row
  inStride: u32,  // floats between rows of x
  actWords: u32,  // u32 words per quantized row
  eps: f32,
}

// Without NORM, `weight` and `eps` are not read (the wrapper binds a placeholder).
override NORM: bool = true;
override WG: u32 = 256u;
// WORDS_PER_THREAD, ceil(actWords / WG) for the widest row this kernel serves, as a constant: it
// sizes the register arrays below (function-scope arrays need a constant size), exactly.
// #slot wordsPerThread

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> xq: array<u32>;
@group(0) @binding(4) var<storage, read_write> xScale: array<f32>;

var<workgroup> red: array<f32, WG>;

fn value(base: u32, c: u32) -> f32 {
  if (GATE == GATE_NONE) { return x[base + c]; }
  return gatedActivation(x[base + c], x[base + p.k + c]);
}

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  let base = row * p.inStride;
  var v: array<vec4<f32>, WORDS_PER_THREAD>;
  var wt: array<vec4<f32>, WORDS_PER_THREAD>;
  var ss = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    for (var e = 0u; e < 4u; e++) {
      // columns past k (padding of the last block, or idle threads) read column 0 and weigh 0
      let col = activationColumn(lid + j * WG, e);
      let inside = col < p.k;
      let c = select(0u, col, inside);
      v[j][e] = select(0.0, value(base, c), inside);
      if (NORM) { wt[j][e] = select(0.0, weight[c], inside); } else { wt[j][e] = 1.0; }
    }
    ss += dot(v[j], v[j]);
  }
  var inv = 1.0;
  if (NORM) { inv = inverseSqrt(reduceSum(lid, ss) / f32(p.k) + p.eps); }
  var m = 0.0;
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    m = max(m, max(max(abs(v[j].x * inv * wt[j].x), abs(v[j].y * inv * wt[j].y)),
                   max(abs(v[j].z * inv * wt[j].z), abs(v[j].w * inv * wt[j].w))));
  }
  let scale = 127.0 / max(reduceMax(lid, m), 1e-5);
  if (lid == 0u) { xScale[row] = scale; }
  for (var j = 0u; j < WORDS_PER_THREAD; j++) {
    let w = lid + j * WG;
    if (w < p.actWords) {
      var packed = 0u;
      for (var e = 0u; e < 4u; e++) {
        let q = i32(clamp(round(v[j][e] * inv * wt[j][e] * scale), -128.0, 127.0));
        packed |= (u32(q) & 0xffu) << (8u * e);
      }
      xq[row * p.actWords + w] = packed;
    }
  }
}
