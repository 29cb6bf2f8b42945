// Causal attention with grouped KV heads over the KV cache, one workgroup per (q head, token).
// Streams the keys in tiles of 64 with an online softmax (running max and sum), so any context
// length works in fixed workgroup memory. Scores and softmax in float32, as transformers does.

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,   // at most 256
  qkvStride: u32,
  scale: f32,     // 1 / sqrt(headDim)
}

struct Step {
  pos0: u32,
  genIndex: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<f32>;
@group(0) @binding(4) var<storage, read> vCache: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // [token, qHeads * headDim]

const TILE = 64u;
const NEG_BIG = -3.0e38; // stands for -inf, which WGSL implementations need not support
var<workgroup> q: array<f32, 256>;
var<workgroup> prob: array<f32, TILE>;
var<workgroup> red: array<f32, TILE>;

fn reduce(lid: u32, v: f32, isMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = TILE / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let m = wid.y;
  let kvh = h / (p.qHeads / p.kvHeads);
  let kvStride = p.kvHeads * p.headDim;
  let keys = step.pos0 + m + 1u; // causal: positions 0 ..= pos
  for (var d = lid; d < p.headDim; d += TILE) {
    q[d] = qkv[m * p.qkvStride + h * p.headDim + d];
  }
  workgroupBarrier();
  var runMax = NEG_BIG;
  var runSum = 0.0;
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0); // dims lid + 64 j
  for (var t0 = 0u; t0 < keys; t0 += TILE) {
    let t = t0 + lid;
    var score = NEG_BIG;
    if (t < keys) {
      let kb = t * kvStride + kvh * p.headDim;
      var dot = 0.0;
      for (var d = 0u; d < p.headDim; d++) {
        dot += q[d] * kCache[kb + d];
      }
      score = dot * p.scale;
    }
    let newMax = max(runMax, reduce(lid, score, true));
    let e = select(0.0, exp(score - newMax), t < keys);
    prob[lid] = e;
    let correction = exp(runMax - newMax);
    runSum = runSum * correction + reduce(lid, e, false);
    runMax = newMax;
    let n = min(TILE, keys - t0);
    for (var j = 0u; j < 4u; j++) {
      let d = lid + TILE * j;
      if (d < p.headDim) {
        var a = acc[j] * correction;
        for (var u = 0u; u < n; u++) {
          a += prob[u] * vCache[(t0 + u) * kvStride + kvh * p.headDim + d];
        }
        acc[j] = a;
      }
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < 4u; j++) {
    let d = lid + TILE * j;
    if (d < p.headDim) {
      out[m * p.qHeads * p.headDim + h * p.headDim + d] = acc[j] / runSum;
    }
  }
}
