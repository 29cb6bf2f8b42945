// Causal attention, second half: merges the per-split softmax states of attentionPartial.wgsl
// (rescaling each by exp(max_s - max)) into the output, one workgroup per (query head, token).
// Thread s loads split s's max and sum; every sum over splits then runs over SLOTS slots, a fixed
// trip count (slots past the last span that holds keys weigh 0 and re-read that span, which is
// cached), so the loads are issued together instead of one per loop iteration. SLOTS is the
// model's decode split count, 1 for prompts. Early in a long context most spans are empty: only
// the ones holding keys are read from memory.
// #include "lib/stepUniform.wgsl"
// #include "lib/attentionSpan.wgsl"

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,
  splits: u32,   // at most MAX_SPLITS (one per thread)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // [token, qHeads * headDim]

// MAX_SPLITS, a limit of attention.ts (ATTENTION_LIMITS), which checks it:
// #slot attentionLimits
override SLOTS: u32 = MAX_SPLITS; // at least p.splits
var<workgroup> maxes: array<f32, MAX_SPLITS>;
var<workgroup> weights: array<f32, MAX_SPLITS>;
var<workgroup> sums: array<f32, MAX_SPLITS>;

@compute @workgroup_size(MAX_SPLITS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let m = wid.y;
  let G = p.qHeads / p.kvHeads;
  let D = p.headDim;
  let kvh = h / G;
  let first = (m * p.kvHeads + kvh) * p.splits * G * (D + 2u) + (h % G) * (D + 2u);
  let stride = G * (D + 2u);
  let keys = step.pos0 + m + 1u;
  let span = spanLength(keys, p.splits);
  let last = (keys + span - 1u) / span - 1u; // the last span holding keys
  let used = lid <= last;
  let mine = select(-3.0e38, partial[first + min(lid, last) * stride], used);
  let mySum = partial[first + min(lid, last) * stride + 1u];
  maxes[lid] = mine;
  workgroupBarrier();
  // loops count up by one to a bound fixed before them (normQuantizeGemv.wgsl says why)
  for (var level = 0u; level < countTrailingZeros(MAX_SPLITS); level++) {
    let s = (MAX_SPLITS / 2u) >> level;
    if (lid < s) { maxes[lid] = max(maxes[lid], maxes[lid + s]); }
    workgroupBarrier();
  }
  let best = maxes[0];
  weights[lid] = select(0.0, exp(mine - best), used);
  sums[lid] = mySum;
  workgroupBarrier();
  var total = 0.0;
  for (var s = 0u; s < SLOTS; s++) { total += sums[s] * weights[s]; }
  let rounds = (D + MAX_SPLITS - 1u) / MAX_SPLITS;
  for (var r = 0u; r < rounds; r++) {
    let d = lid + r * MAX_SPLITS;
    if (d >= D) { break; }
    var v = 0.0;
    for (var s = 0u; s < SLOTS; s++) { v += partial[first + min(s, last) * stride + 2u + d] * weights[s]; }
    out[m * p.qHeads * D + h * D + d] = v / total;
  }
}
