// Causal attention, second half: merges the per-split softmax states of attentionPartial.wgsl
// (rescaling each by exp(max_s - max)) into the output, one workgroup per (query head, token).
// Each split's weight is computed once, by one thread, then shared by all dimensions.

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,
  splits: u32,   // at most 64 (one per thread)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [token, qHeads * headDim]

const THREADS = 64u;
var<workgroup> maxes: array<f32, THREADS>;
var<workgroup> weights: array<f32, THREADS>;

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let m = wid.y;
  let G = p.qHeads / p.kvHeads;
  let D = p.headDim;
  let kvh = h / G;
  let first = (m * p.kvHeads + kvh) * p.splits * G * (D + 2u) + (h % G) * (D + 2u);
  let stride = G * (D + 2u);
  let mine = select(-3.0e38, partial[first + min(lid, p.splits - 1u) * stride], lid < p.splits);
  maxes[lid] = mine;
  workgroupBarrier();
  for (var s = THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { maxes[lid] = max(maxes[lid], maxes[lid + s]); }
    workgroupBarrier();
  }
  let best = maxes[0];
  // an empty split has max -3e38 and sum 0: its weight is 0
  weights[lid] = select(0.0, exp(mine - best), lid < p.splits);
  workgroupBarrier();
  var total = 0.0;
  for (var s = 0u; s < p.splits; s++) { total += partial[first + s * stride + 1u] * weights[s]; }
  for (var d = lid; d < D; d += THREADS) {
    var v = 0.0;
    for (var s = 0u; s < p.splits; s++) { v += partial[first + s * stride + 2u + d] * weights[s]; }
    out[m * p.qHeads * D + h * D + d] = v / total;
  }
}
