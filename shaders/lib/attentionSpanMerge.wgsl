// A decode step's attention output, merged from the per-span softmax states that attentionDecode.wgsl
// (or attentionPartial.wgsl for one token) leaves in `x`, for a kernel that reads that output as
// its input (normQuantizeGemv.wgsl with SPANS): what attentionCombine.wgsl computes, without its
// dispatch. weighSpans fills each span's weight exp(max_s - max) and each head's softmax sum once
// per workgroup (then a barrier); mergedColumn takes any column from them.
// The including kernel declares `x` (the states), `step` (lib/stepUniform.wgsl) and WG.
// #include "attentionSpan.wgsl"

override SPANS: bool = false;  // the input is attention's per-span states, merged here
override Q_HEADS: u32 = 1u;
override GROUP: u32 = 1u;      // query heads per KV head
override HEAD_DIM: u32 = 4u;
override SPLITS: u32 = 1u;     // spans per head (the pass's split count)

const NO_SCORE = -3.0e38; // stands for -inf, which WGSL implementations need not support
// [query head, span] for the spans holding keys
var<workgroup> spanWeight: array<f32, Q_HEADS * SPLITS>;
var<workgroup> spanTotal: array<f32, Q_HEADS>;

/** The last span holding keys in this step (the token at step.pos0 attends to pos0 + 1 keys). */
fn lastSpan() -> u32 {
  let keys = step.pos0 + 1u;
  let span = spanLength(keys, SPLITS);
  return (keys + span - 1u) / span - 1u;
}

/** Where in x head h's state of span s starts: [kvHead, span, group head, (max, sum, acc[HEAD_DIM])]. */
fn spanState(h: u32, s: u32) -> u32 {
  return (((h / GROUP) * SPLITS + s) * GROUP + h % GROUP) * (HEAD_DIM + 2u);
}

/** Fills spanWeight and spanTotal for spans 0..last (the ones past it are stale: never read). */
fn weighSpans(lid: u32, last: u32) {
  // loops count up by one to a bound fixed before them (normQuantizeGemv.wgsl says why)
  let rounds = (Q_HEADS + WG - 1u) / WG;
  for (var r = 0u; r < rounds; r++) {
    let h = lid + r * WG;
    if (h < Q_HEADS) {
      var best = NO_SCORE;
      for (var s = 0u; s < SPLITS; s++) {
        if (s <= last) { best = max(best, x[spanState(h, s)]); }
      }
      var total = 0.0;
      for (var s = 0u; s < SPLITS; s++) {
        if (s <= last) {
          let weight = exp(x[spanState(h, s)] - best);
          spanWeight[h * SPLITS + s] = weight;
          total += weight * x[spanState(h, s) + 1u];
        }
      }
      spanTotal[h] = total;
    }
  }
}

/** Column c of the merged output (head c / HEAD_DIM), after weighSpans and a barrier. */
fn mergedColumn(c: u32, last: u32) -> f32 {
  let h = c / HEAD_DIM;
  let first = spanState(h, 0u) + 2u + c % HEAD_DIM;
  let stride = GROUP * (HEAD_DIM + 2u);
  var v = 0.0;
  for (var s = 0u; s < SPLITS; s++) {
    if (s <= last) { v += spanWeight[h * SPLITS + s] * x[first + s * stride]; }
  }
  return v / spanTotal[h];
}
