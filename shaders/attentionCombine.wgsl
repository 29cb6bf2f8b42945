// Causal attention, second half: merges the per-split softmax states of attentionPartial.wgsl
// (rescaling each by exp(max_s - max)) into the output, one workgroup per (query head, token).

struct Params {
  qHeads: u32,
  kvHeads: u32,
  headDim: u32,
  splits: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [token, qHeads * headDim]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let m = wid.y;
  let G = p.qHeads / p.kvHeads;
  let D = p.headDim;
  let kvh = h / G;
  let first = (m * p.kvHeads + kvh) * p.splits * G * (D + 2u) + (h % G) * (D + 2u);
  let stride = G * (D + 2u);
  var best = -3.0e38;
  for (var s = 0u; s < p.splits; s++) { best = max(best, partial[first + s * stride]); }
  var total = 0.0;
  for (var s = 0u; s < p.splits; s++) {
    let o = first + s * stride;
    total += partial[o + 1u] * exp(partial[o] - best);
  }
  for (var d = lid; d < D; d += 64u) {
    var v = 0.0;
    for (var s = 0u; s < p.splits; s++) {
      let o = first + s * stride;
      v += partial[o + 2u + d] * exp(partial[o] - best);
    }
    out[m * p.qHeads * D + h * D + d] = v / total;
  }
}
