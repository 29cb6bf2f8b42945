// The greedy token: index of the largest logit (the first one on ties, like torch.argmax).
// Written where the next step's embedding lookup reads it (ids[0]) and into the history of
// generated tokens at step.genIndex, so decoding never has to wait for the CPU.
// #include "lib/stepUniform.wgsl"

struct Params {
  n: u32,
  offset: u32, // first logit of the row to scan
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> generated: array<u32>;

override WG: u32 = 256u; // a power of two: as many threads as the device allows, up to 1024
// A thread reads its logits CHUNK at a time, loads issued together (a plain strided loop waited
// for each load in turn: 27 us for a 128256-entry vocabulary on an H100).
const CHUNK = 16u;
var<workgroup> bestValue: array<f32, WG>;
var<workgroup> bestIndex: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var bv = -3.0e38;
  var bi = 0xffffffffu;
  for (var base = 0u; base < p.n; base += WG * CHUNK) {
    var v: array<f32, CHUNK>;
    for (var u = 0u; u < CHUNK; u++) {
      // past the end: re-read the last logit (in bounds); `i < p.n` below leaves it out
      v[u] = logits[p.offset + min(base + u * WG + lid, p.n - 1u)];
    }
    for (var u = 0u; u < CHUNK; u++) {
      let i = base + u * WG + lid;
      if (i < p.n && v[u] > bv) { bv = v[u]; bi = i; }
    }
  }
  bestValue[lid] = bv;
  bestIndex[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let ov = bestValue[lid + s];
      let oi = bestIndex[lid + s];
      if (ov > bestValue[lid] || (ov == bestValue[lid] && oi < bestIndex[lid])) {
        bestValue[lid] = ov;
        bestIndex[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let best = select(bestIndex[0], 0u, bestIndex[0] == 0xffffffffu);
    ids[0] = best;
    generated[step.genIndex] = best;
  }
}
