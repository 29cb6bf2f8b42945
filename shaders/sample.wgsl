// Samples the next token on the GPU, as transformers' logits processors do, in their order:
// repetition penalty (on tokens seen so far), temperature, top-k, top-p, min-p; then draws from
// what is left with a counter-based random number (seed, step), so a seed replays exactly.
// Filters become thresholds on the adjusted logit, found by bisection with workgroup reductions:
// no sort, no read-back of the logits. One workgroup of 256 threads scans the whole vocabulary.
// #include "lib/stepUniform.wgsl"

struct SamplingParams {
  n: u32,
  topK: u32,                // 0: off
  seed: u32,
  _pad: u32,
  temperature: f32,         // > 0 (greedy decoding uses argmax.wgsl)
  topP: f32,                // 1: off
  minP: f32,                // 0: off
  repetitionPenalty: f32,   // 1: off
}

@group(0) @binding(0) var<uniform> sampling: SamplingParams;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> seen: array<atomic<u32>>; // bitmap of token ids
@group(0) @binding(4) var<storage, read_write> ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> generated: array<u32>;

const WG = 256u;
const SEARCH_STEPS = 24u;
const RANGE = 88.0; // exp(-88) underflows f32: lower logits carry no probability
var<workgroup> redF: array<f32, WG>;
var<workgroup> redU: array<u32, WG>;

fn adjusted(i: u32) -> f32 {
  var l = logits[i];
  if (sampling.repetitionPenalty != 1.0 && (atomicLoad(&seen[i / 32u]) & (1u << (i % 32u))) != 0u) {
    l = select(l * sampling.repetitionPenalty, l / sampling.repetitionPenalty, l > 0.0);
  }
  return l / sampling.temperature;
}

fn sumF(lid: u32, v: f32) -> f32 {
  redF[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { redF[lid] += redF[lid + s]; }
    workgroupBarrier();
  }
  let r = redF[0];
  workgroupBarrier();
  return r;
}

fn maxF(lid: u32, v: f32) -> f32 {
  redF[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { redF[lid] = max(redF[lid], redF[lid + s]); }
    workgroupBarrier();
  }
  let r = redF[0];
  workgroupBarrier();
  return r;
}

fn sumU(lid: u32, v: u32) -> u32 {
  redU[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { redU[lid] += redU[lid + s]; }
    workgroupBarrier();
  }
  let r = redU[0];
  workgroupBarrier();
  return r;
}

// Mass exp(a - top) of the tokens with adjusted logit a >= t.
fn massAbove(lid: u32, t: f32, top: f32) -> f32 {
  var s = 0.0;
  for (var i = lid; i < sampling.n; i += WG) {
    let a = adjusted(i);
    if (a >= t) { s += exp(a - top); }
  }
  return sumF(lid, s);
}

fn countAbove(lid: u32, t: f32) -> u32 {
  var c = 0u;
  for (var i = lid; i < sampling.n; i += WG) {
    c += select(0u, 1u, adjusted(i) >= t);
  }
  return sumU(lid, c);
}

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var m = -3.0e38;
  for (var i = lid; i < sampling.n; i += WG) { m = max(m, adjusted(i)); }
  let top = maxF(lid, m);
  // Threshold t: keep tokens with adjusted logit >= t. Each filter can only raise it.
  var t = top - RANGE;
  if (sampling.topK > 0u && sampling.topK < sampling.n) {
    // the largest t that still keeps at least k tokens
    var lo = t;
    var hi = top;
    for (var it = 0u; it < SEARCH_STEPS; it++) {
      let mid = 0.5 * (lo + hi);
      if (countAbove(lid, mid) >= sampling.topK) { lo = mid; } else { hi = mid; }
    }
    t = lo;
  }
  if (sampling.topP < 1.0) {
    // the largest t whose kept mass is still >= top_p of the mass kept so far
    let goal = sampling.topP * massAbove(lid, t, top);
    var lo = t;
    var hi = top;
    for (var it = 0u; it < SEARCH_STEPS; it++) {
      let mid = 0.5 * (lo + hi);
      if (massAbove(lid, mid, top) >= goal) { lo = mid; } else { hi = mid; }
    }
    t = lo;
  }
  if (sampling.minP > 0.0) {
    t = max(t, top + log(sampling.minP)); // probability >= min_p * (largest probability)
  }
  // Draw: each thread owns a contiguous chunk; find the chunk holding u * total, then the token.
  let chunk = (sampling.n + WG - 1u) / WG;
  let begin = min(lid * chunk, sampling.n);
  let end = min(begin + chunk, sampling.n);
  var mine = 0.0;
  for (var i = begin; i < end; i++) {
    let a = adjusted(i);
    if (a >= t) { mine += exp(a - top); }
  }
  redF[lid] = mine;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var j = 0u; j < WG; j++) { total += redF[j]; }
    let u = f32(pcg(sampling.seed ^ pcg(step.genIndex + 0x9e3779b9u)) >> 8u) / 16777216.0;
    var goal = u * total;
    var owner = WG;
    for (var j = 0u; j < WG; j++) {
      if (redF[j] > 0.0) {
        owner = j; // the last chunk with mass, should rounding leave goal past the end
        if (goal < redF[j]) { break; }
        goal -= redF[j];
      }
    }
    redU[0] = owner;
    redF[0] = goal;
  }
  workgroupBarrier();
  if (lid == redU[0]) {
    var goal = redF[0];
    var pick = begin;
    for (var i = begin; i < end; i++) {
      let a = adjusted(i);
      if (a >= t) {
        pick = i;
        let e = exp(a - top);
        if (goal < e) { break; }
        goal -= e;
      }
    }
    ids[0] = pick;
    generated[step.genIndex] = pick;
    atomicOr(&seen[pick / 32u], 1u << (pick % 32u));
  }
}
