// Causal attention, second half, fused with what follows it: merges the per-split softmax states
// of attentionPartial.wgsl into each query head's output, then applies attn_sub_norm and int8
// quantization (normQuantizeRow.wgsl) to the token's row of all heads: the o_proj input. One
// workgroup per token; the attention output itself is never stored.
// First the workgroup weighs every (head, split): exp(max_s - max) with the head's total, in
// workgroup memory. Sums over splits then run over SLOTS slots, a fixed trip count (unused slots
// weigh 0 and re-read the last split), so their loads are issued together. SLOTS is the model's
// decode split count, 1 for prompts.

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,
  splits: u32,    // at most SLOTS
  k: u32,         // qHeads * headDim
  actWords: u32,  // u32 words per quantized row
  eps: f32,
}

override WG: u32 = 256u;
override HEADS: u32 = 1u; // p.qHeads
override SLOTS: u32 = 1u; // at least p.splits

@group(0) @binding(0) var<uniform> p: Params;
// [token, kvHead, split, group head, (max, sum, acc[headDim])], from attentionPartial.wgsl
@group(0) @binding(1) var<storage, read> partial: array<f32>;

var<workgroup> slotWeight: array<f32, HEADS * SLOTS>; // [head, slot]: exp(max_s - max_head)
var<workgroup> headTotal: array<f32, HEADS>;          // sum over slots of sum_s * weight

var<private> token: u32;

/** Index in `partial` of head h's state in split `s` of the current token. */
fn stateIndex(h: u32, s: u32) -> u32 {
  let G = p.qHeads / p.kvHeads;
  let D = p.headDim;
  let split = min(s, p.splits - 1u);
  return (((token * p.kvHeads + h / G) * p.splits + split) * G + h % G) * (D + 2u);
}

fn rowValue(row: u32, c: u32) -> f32 {
  let h = c / p.headDim;
  let d = c % p.headDim;
  var v = 0.0;
  for (var s = 0u; s < SLOTS; s++) { v += partial[stateIndex(h, s) + 2u + d] * slotWeight[h * SLOTS + s]; }
  return v / headTotal[h];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  token = wid.x;
  // each (head, slot)'s max; an unused slot stands for an empty split: max -3e38
  for (var i = lid; i < HEADS * SLOTS; i += WG) {
    let s = i % SLOTS;
    slotWeight[i] = select(-3.0e38, partial[stateIndex(i / SLOTS, s)], s < p.splits);
  }
  workgroupBarrier();
  if (lid < HEADS) {
    let h = lid;
    var best = -3.0e38;
    for (var s = 0u; s < SLOTS; s++) { best = max(best, slotWeight[h * SLOTS + s]); }
    var total = 0.0;
    for (var s = 0u; s < SLOTS; s++) {
      // an empty split has sum 0 and weighs 0
      let weight = select(0.0, exp(slotWeight[h * SLOTS + s] - best), s < p.splits);
      slotWeight[h * SLOTS + s] = weight;
      total += partial[stateIndex(h, s) + 1u] * weight;
    }
    headTotal[h] = total;
  }
  workgroupBarrier();
  normQuantizeRow(token, lid, p.k, p.actWords, p.eps);
}
