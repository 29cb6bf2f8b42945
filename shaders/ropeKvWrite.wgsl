// Rotary position embedding (ropeRotation.wgsl) on the q and k heads of the fused qkv
// projection, and the KV-cache write: rotated k and plain v go to the cache at the token's
// position. One workgroup per (head slot, token); slots are q heads, then k heads, then v heads.
// cos/sin come from a table computed on the CPU in float32, as transformers computes them.
// #include "lib/stepUniform.wgsl"
// #include "lib/ropeRotation.wgsl"

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,
  qkvStride: u32, // floats per token row of qkv
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> ropeCos: array<f32>; // [position, headDim / 2]
@group(0) @binding(4) var<storage, read> ropeSin: array<f32>;
@group(0) @binding(5) var<storage, read_write> kCache: array<f32>; // [position, kvHeads, headDim]
@group(0) @binding(6) var<storage, read_write> vCache: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let slot = wid.x;
  let m = wid.y;
  let pos = step.pos0 + m;
  let half = p.headDim / 2u;
  let src = m * p.qkvStride + slot * p.headDim;
  if (slot >= p.qHeads + p.kvHeads) {
    let dst = (pos * p.kvHeads + slot - p.qHeads - p.kvHeads) * p.headDim;
    for (var d = lid; d < p.headDim; d += 64u) {
      vCache[dst + d] = qkv[src + d];
    }
    return;
  }
  for (var i = lid; i < half; i += 64u) {
    let c = ropeCos[pos * half + i];
    let s = ropeSin[pos * half + i];
    let r = ropeRotate(qkv[src + i], qkv[src + i + half], c, s);
    if (slot < p.qHeads) {
      qkv[src + i] = r.x;
      qkv[src + i + half] = r.y;
    } else {
      let dst = (pos * p.kvHeads + slot - p.qHeads) * p.headDim;
      kCache[dst + i] = r.x;
      kCache[dst + i + half] = r.y;
    }
  }
}
