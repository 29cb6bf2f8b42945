enable subgroups;
// Causal attention of one token (a decode step) over the KV cache, first half: what
// attentionPartial.wgsl computes with RoPE and the KV-cache write folded in (one workgroup per
// (KV head, key span), the spans of attentionSpan.wgsl, per-span softmax states that
// attentionCombine.wgsl merges), laid out so that a 64-key tile costs about one memory round trip
// instead of a chain of them (attentionPartial: one key per invocation, tree reductions):
//  - 256 invocations: four per key for the scores, each a quarter of the head, summed by
//    shuffles; for P.V, one per (vec4 d4 of the head, key slice), the SLICES slices of a d4
//    consecutive in a subgroup and summed by shuffles once, at the end;
//  - the first tile's keys are loaded before q is even read, its values once the scores are
//    written, the next tile's keys once P.V has used these: at most one tile's keys or values
//    per invocation in registers, so that more workgroups fit on a multiprocessor (loading keys
//    and values together was 0.1 ms a step slower at 4,000 cached keys on an H200);
//  - the new token's key and value are rotated into workgroup memory and taken from there, not
//    from the cache this workgroup writes, so no storage barrier has to order write and reads;
//  - each subgroup takes the tile's max from the scores in workgroup memory itself, and the
//    softmax sum rides along P.V: no workgroup-wide reduction.
// Invocations are numbered through subgroup_id, so the runs of 4 and of SLICES that shuffle
// together are aligned inside one subgroup (subgroups of at least SLICES, and 4, invocations).
// #include "lib/stepUniform.wgsl"
// #include "lib/attentionSpan.wgsl"
// #include "lib/attentionHeadParams.wgsl"
// #include "lib/rotatedHead.wgsl"

override SLICES: u32 = 8u;    // key slices of P.V: a power of two, SLICES * HEAD_DIM / 4 <= WG
// KEY_VEC4S (vec4s of a key per quarter: ceil(HEAD_DIM / 16)), KEYS_PER_SLICE (TILE / SLICES) and
// GROUP_SLOTS (GROUP) as constants: they size register arrays.
// #slot registerArrays

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> kCache: array<vec4<f32>>; // [position, kvHeads, HEAD_DIM]
@group(0) @binding(4) var<storage, read_write> vCache: array<vec4<f32>>;
// [kvHead, split, group head, (max, sum, acc[HEAD_DIM])]
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;
@group(0) @binding(6) var<storage, read> ropeCos: array<f32>; // [position, HEAD_DIM / 2]
@group(0) @binding(7) var<storage, read> ropeSin: array<f32>;

const WG = 4u * TILE;
const NEG_BIG = -3.0e38; // stands for -inf, which WGSL implementations need not support
var<workgroup> qs: array<vec4<f32>, GROUP * HEAD_DIM / 4u>;
var<workgroup> scores: array<f32, GROUP * TILE>;
// The new token's rotated key and value: read from here, not from the cache being written.
var<workgroup> newKey: array<vec4<f32>, HEAD_DIM / 4u>;
var<workgroup> newValue: array<vec4<f32>, HEAD_DIM / 4u>;

/** Quarter `quarter` of key `t` of head kvh from the cache (vec4s quarter, quarter + 4, ...). */
fn loadKey(t: u32, kvh: u32, quarter: u32) -> array<vec4<f32>, KEY_VEC4S> {
  let D4 = HEAD_DIM / 4u;
  var kk: array<vec4<f32>, KEY_VEC4S>;
  for (var j = 0u; j < KEY_VEC4S; j++) { kk[j] = kCache[(t * p.kvHeads + kvh) * D4 + min(quarter + 4u * j, D4 - 1u)]; }
  return kk;
}

/** vec4 d4 of the values of keys t0 + slice, t0 + slice + SLICES, ... of head kvh; keys from `end` on re-read end - 1. */
fn loadValues(t0: u32, end: u32, kvh: u32, slice: u32, d4: u32) -> array<vec4<f32>, KEYS_PER_SLICE> {
  let D4 = HEAD_DIM / 4u;
  var vv: array<vec4<f32>, KEYS_PER_SLICE>;
  for (var j = 0u; j < KEYS_PER_SLICE; j++) {
    let t = min(t0 + slice + SLICES * j, end - 1u);
    vv[j] = vCache[(t * p.kvHeads + kvh) * D4 + min(d4, D4 - 1u)];
  }
  return vv;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_id) subgroup: u32, @builtin(subgroup_invocation_id) inSubgroup: u32,
        @builtin(subgroup_size) subgroupSize: u32) {
  let kvh = wid.x;
  let split = wid.z;
  let D4 = HEAD_DIM / 4u;
  let keys = step.pos0 + 1u;
  let span = spanLength(keys, p.splits);
  let start = split * span;
  let end = min(keys, start + span);
  // attentionCombine.wgsl never reads a span past the last key: nothing to do or write
  if (start >= end) { return; }
  let pos = keys - 1u;
  let t = subgroup * subgroupSize + inSubgroup; // consecutive within a subgroup
  let key = t / 4u;
  let quarter = t % 4u;
  let d4 = t / SLICES;
  let slice = t % SLICES;
  // the new token's key and value are patched in from workgroup memory below (cache entry `pos`
  // may not be written yet: its value here is not used)
  var kk = loadKey(min(start + key, end - 1u), kvh, quarter);
  var vv: array<vec4<f32>, KEYS_PER_SLICE>;

  let qBase = kvh * GROUP * HEAD_DIM;
  // loops count up by one to a bound fixed before them (normQuantizeGemv.wgsl says why)
  let qRounds = (GROUP * D4 + WG - 1u) / WG;
  for (var k = 0u; k < qRounds; k++) {
    let i = lid + k * WG;
    if (i < GROUP * D4) { qs[i] = rotated4(qBase + (i / D4) * HEAD_DIM, 4u * (i % D4), pos); }
  }
  if (end == keys && lid < D4) {
    let kSrc = (p.qHeads + kvh) * HEAD_DIM;
    let v = kSrc + p.kvHeads * HEAD_DIM + 4u * lid;
    newKey[lid] = rotated4(kSrc, 4u * lid, pos);
    newValue[lid] = vec4(qkv[v], qkv[v + 1u], qkv[v + 2u], qkv[v + 3u]);
    let dst = (pos * p.kvHeads + kvh) * D4;
    kCache[dst + lid] = newKey[lid];
    vCache[dst + lid] = newValue[lid];
  }
  workgroupBarrier();

  var runMax: array<f32, GROUP_SLOTS>;
  var sumPart: array<f32, GROUP_SLOTS>;    // this invocation's keys' share of the softmax sum
  var acc: array<vec4<f32>, GROUP_SLOTS>;  // this invocation's keys' share of P.V, dimensions 4 d4 ..
  for (var g = 0u; g < GROUP; g++) { runMax[g] = NEG_BIG; }
  let tiles = (end - start + TILE - 1u) / TILE;
  let maxRounds = (TILE + subgroupSize - 1u) / subgroupSize; // a subgroup's passes over a tile's scores
  for (var tile = 0u; tile < tiles; tile++) {
    let t0 = start + tile * TILE;
    if (t0 + key == pos) {
      for (var j = 0u; j < KEY_VEC4S; j++) { kk[j] = newKey[min(quarter + 4u * j, D4 - 1u)]; }
    }
    for (var g = 0u; g < GROUP; g++) {
      var score = 0.0;
      for (var j = 0u; j < KEY_VEC4S; j++) {
        let i = quarter + 4u * j;
        if (i < D4) { score += dot(qs[g * D4 + i], kk[j]); }
      }
      score += subgroupShuffleXor(score, 1u);
      score += subgroupShuffleXor(score, 2u);
      if (quarter == 0u) { scores[g * TILE + key] = select(NEG_BIG, score * p.scale, t0 + key < end); }
    }
    let next = t0 + TILE;
    vv = loadValues(t0, end, kvh, slice, d4);
    for (var j = 0u; j < KEYS_PER_SLICE; j++) {
      if (t0 + slice + SLICES * j == pos) { vv[j] = newValue[min(d4, D4 - 1u)]; }
    }
    workgroupBarrier();
    for (var g = 0u; g < GROUP; g++) {
      var tileMax = NEG_BIG;
      for (var r = 0u; r < maxRounds; r++) {
        let i = inSubgroup + r * subgroupSize;
        if (i < TILE) { tileMax = max(tileMax, scores[g * TILE + i]); }
      }
      let newMax = max(runMax[g], subgroupMax(tileMax));
      let correction = exp(runMax[g] - newMax);
      runMax[g] = newMax;
      var a = acc[g] * correction;
      var sum = sumPart[g] * correction;
      for (var j = 0u; j < KEYS_PER_SLICE; j++) {
        // keys past the span score NEG_BIG: weight 0
        let weight = exp(scores[g * TILE + slice + SLICES * j] - newMax);
        a += weight * vv[j];
        sum += weight;
      }
      acc[g] = a;
      sumPart[g] = sum;
    }
    if (next < end) { kk = loadKey(min(next + key, end - 1u), kvh, quarter); }
    workgroupBarrier();
  }

  let base = (kvh * p.splits + split) * GROUP * (HEAD_DIM + 2u);
  for (var g = 0u; g < GROUP; g++) {
    for (var bit = 0u; bit < countTrailingZeros(SLICES); bit++) {
      acc[g] += subgroupShuffleXor(acc[g], (SLICES / 2u) >> bit);
      sumPart[g] += subgroupShuffleXor(sumPart[g], (SLICES / 2u) >> bit);
    }
    let o = base + g * (HEAD_DIM + 2u);
    if (slice == 0u && d4 < D4) {
      if (d4 == 0u) {
        partial[o] = runMax[g];
        partial[o + 1u] = sumPart[g];
      }
      for (var e = 0u; e < 4u; e++) { partial[o + 2u + 4u * d4 + e] = acc[g][e]; }
    }
  }
}
