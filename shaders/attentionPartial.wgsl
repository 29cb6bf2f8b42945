// Causal attention over the KV cache, first half (split-KV / flash-decoding): one workgroup per
// (KV head, token, split). The keys 0..=pos are cut into `splits` spans (attentionSpan.wgsl); a
// workgroup streams its span in tiles of 64 keys (one per thread) with an online softmax and
// writes, for each query head sharing this KV head (GQA), its running max, sum and unnormalized
// output; attentionCombine.wgsl merges the splits. Each K/V read serves the whole group of query
// heads.
// Decode steps (ROPE) fold in ropeKvWrite.wgsl's work: q is rotated as it is loaded, and the
// workgroup whose span ends at the new token rotates its key and writes key and value to the cache
// before reading the span (a storage barrier orders the writes before the workgroup's reads).
// Prompts keep the separate kernel: their tokens' keys are read by other tokens' workgroups.
// On adapters with subgroups, decode steps take attentionDecode.wgsl instead.
// HEAD_DIM and GROUP are pipeline constants so every loop below has a fixed trip count: the
// driver unrolls them and keeps the small arrays in registers (with runtime bounds they spilled
// to local memory and this kernel was ~30x slower on an H100).
// #include "lib/stepUniform.wgsl"
// #include "lib/attentionSpan.wgsl"
// #include "lib/attentionHeadParams.wgsl"
// #include "lib/rotatedHead.wgsl"

// MAX_HEAD_DIM and MAX_GROUP, the limits of attention.ts (ATTENTION_LIMITS), which checks them:
// #slot attentionLimits
override ROPE: bool = false;  // one token: RoPE and the KV-cache write happen here

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> kCache: array<vec4<f32>>; // [position, kvHeads, HEAD_DIM]
@group(0) @binding(4) var<storage, read_write> vCache: array<f32>;
// [token, kvHead, split, group head, (max, sum, acc[HEAD_DIM])]
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;
@group(0) @binding(6) var<storage, read> ropeCos: array<f32>; // [position, HEAD_DIM / 2]
@group(0) @binding(7) var<storage, read> ropeSin: array<f32>;

const V_BATCH = 16u;
const K_BATCH = 8u;
// Function-scope arrays need constant sizes: they are sized for MAX_GROUP heads and MAX_HEAD_DIM
// dimensions (DIMS_PER_THREAD per thread); loops use GROUP and HEAD_DIM.
const DIMS_PER_THREAD = MAX_HEAD_DIM / TILE;
const NEG_BIG = -3.0e38; // stands for -inf, which WGSL implementations need not support
var<workgroup> qs: array<vec4<f32>, GROUP * HEAD_DIM / 4u>;
var<workgroup> prob: array<f32, GROUP * TILE>;
var<workgroup> red: array<f32, GROUP * TILE>;

@compute @workgroup_size(TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let kvh = wid.x;
  let m = wid.y;
  let split = wid.z;
  let D4 = HEAD_DIM / 4u;
  let keys = step.pos0 + m + 1u;
  let span = spanLength(keys, p.splits);
  let start = split * span;
  let end = min(keys, start + span);
  // attentionCombine.wgsl never reads a span past the last key: nothing to do or write
  if (start >= end) { return; }
  let qBase = m * p.qkvStride + kvh * GROUP * HEAD_DIM;
  let pos = keys - 1u;
  // loops count up by one to a bound fixed before them (normQuantizeGemv.wgsl says why)
  let qRounds = (GROUP * D4 + TILE - 1u) / TILE;
  for (var r = 0u; r < qRounds; r++) {
    let i = lid + r * TILE;
    if (i >= GROUP * D4) { break; }
    if (ROPE) {
      qs[i] = rotated4(qBase + (i / D4) * HEAD_DIM, 4u * (i % D4), pos);
    } else {
      qs[i] = vec4(qkv[qBase + 4u * i], qkv[qBase + 4u * i + 1u], qkv[qBase + 4u * i + 2u], qkv[qBase + 4u * i + 3u]);
    }
  }
  if (ROPE && end == keys && lid < D4) {
    let kSrc = m * p.qkvStride + (p.qHeads + kvh) * HEAD_DIM;
    let vSrc = kSrc + p.kvHeads * HEAD_DIM;
    let dst = (pos * p.kvHeads + kvh) * HEAD_DIM;
    kCache[dst / 4u + lid] = rotated4(kSrc, 4u * lid, pos);
    for (var e = 0u; e < 4u; e++) { vCache[dst + 4u * lid + e] = qkv[vSrc + 4u * lid + e]; }
  }
  storageBarrier();
  workgroupBarrier();
  var runMax: array<f32, MAX_GROUP>;
  var runSum: array<f32, MAX_GROUP>;
  var acc: array<f32, MAX_GROUP * DIMS_PER_THREAD>; // [group head][dims lid + 64 j]
  for (var g = 0u; g < GROUP; g++) { runMax[g] = NEG_BIG; }
  let tiles = (end - start + TILE - 1u) / TILE;
  let keyBatches = (D4 + K_BATCH - 1u) / K_BATCH;
  for (var tile = 0u; tile < tiles; tile++) {
    let t0 = start + tile * TILE;
    let t = t0 + lid;
    let valid = t < end;
    var score: array<f32, MAX_GROUP>;
    // Reset explicitly: SwiftShader and lavapipe were seen to keep the previous tile's values.
    for (var g = 0u; g < GROUP; g++) { score[g] = 0.0; }
    if (valid) {
      // the key in batches of K_BATCH vec4s whose loads are issued together, as V's below
      let kb = (t * p.kvHeads + kvh) * D4;
      for (var batch = 0u; batch < keyBatches; batch++) {
        let d0 = batch * K_BATCH;
        var kk: array<vec4<f32>, K_BATCH>;
        for (var e = 0u; e < K_BATCH; e++) { kk[e] = kCache[kb + min(d0 + e, D4 - 1u)]; }
        for (var e = 0u; e < K_BATCH; e++) {
          if (d0 + e < D4) {
            for (var g = 0u; g < GROUP; g++) { score[g] += dot(qs[g * D4 + d0 + e], kk[e]); }
          }
        }
      }
    }
    for (var g = 0u; g < GROUP; g++) {
      score[g] = select(NEG_BIG, score[g] * p.scale, valid);
      red[g * TILE + lid] = score[g];
    }
    workgroupBarrier();
    for (var level = 0u; level < countTrailingZeros(TILE); level++) {
      let s = (TILE / 2u) >> level;
      if (lid < s) {
        for (var g = 0u; g < GROUP; g++) { red[g * TILE + lid] = max(red[g * TILE + lid], red[g * TILE + lid + s]); }
      }
      workgroupBarrier();
    }
    var newMax: array<f32, MAX_GROUP>;
    for (var g = 0u; g < GROUP; g++) {
      newMax[g] = max(runMax[g], red[g * TILE]);
      prob[g * TILE + lid] = select(0.0, exp(score[g] - newMax[g]), valid);
    }
    workgroupBarrier();
    for (var g = 0u; g < GROUP; g++) { red[g * TILE + lid] = prob[g * TILE + lid]; }
    workgroupBarrier();
    for (var level = 0u; level < countTrailingZeros(TILE); level++) {
      let s = (TILE / 2u) >> level;
      if (lid < s) {
        for (var g = 0u; g < GROUP; g++) { red[g * TILE + lid] += red[g * TILE + lid + s]; }
      }
      workgroupBarrier();
    }
    for (var g = 0u; g < GROUP; g++) {
      let correction = exp(runMax[g] - newMax[g]);
      runSum[g] = runSum[g] * correction + red[g * TILE];
      runMax[g] = newMax[g];
      for (var j = 0u; j < DIMS_PER_THREAD; j++) { acc[g * DIMS_PER_THREAD + j] *= correction; }
    }
    // V in batches of V_BATCH keys whose loads are issued together (one key at a time, each load
    // waited for the previous: 24 -> 14 us per decode call on an H100). Keys past `end` weigh 0 and
    // re-read the last key, which is finite, so the sums are exactly those over the valid keys.
    for (var batch = 0u; batch < TILE / V_BATCH; batch++) {
      let u0 = batch * V_BATCH;
      var vv: array<f32, V_BATCH * DIMS_PER_THREAD>;
      for (var e = 0u; e < V_BATCH; e++) {
        let vb = (min(t0 + u0 + e, end - 1u) * p.kvHeads + kvh) * HEAD_DIM;
        for (var j = 0u; j < DIMS_PER_THREAD; j++) {
          let d = lid + TILE * j;
          if (d < HEAD_DIM) { vv[e * DIMS_PER_THREAD + j] = vCache[vb + d]; }
        }
      }
      for (var e = 0u; e < V_BATCH; e++) {
        for (var j = 0u; j < DIMS_PER_THREAD; j++) {
          for (var g = 0u; g < GROUP; g++) { acc[g * DIMS_PER_THREAD + j] += prob[g * TILE + u0 + e] * vv[e * DIMS_PER_THREAD + j]; }
        }
      }
    }
    workgroupBarrier();
  }
  let base = ((m * p.kvHeads + kvh) * p.splits + split) * GROUP * (HEAD_DIM + 2u);
  for (var g = 0u; g < GROUP; g++) {
    let o = base + g * (HEAD_DIM + 2u);
    if (lid == 0u) {
      partial[o] = runMax[g];
      partial[o + 1u] = runSum[g];
    }
    for (var j = 0u; j < DIMS_PER_THREAD; j++) {
      let d = lid + TILE * j;
      if (d < HEAD_DIM) { partial[o + 2u + d] = acc[g * DIMS_PER_THREAD + j]; }
    }
  }
}
