// GEMV input computed in the workgroup: each workgroup normalizes and quantizes the f32 row itself
// (normQuantizeRow.wgsl, prepended) into workgroup memory, which saves the separate normQuantize
// dispatch and the barrier before the GEMV: decode steps are bound by such launches, not by the
// few KB each workgroup re-reads from cache.

struct NormParams {
  k: u32,
  actWords: u32,
  eps: f32,
}

override ACT_VEC4: u32 = 16u; // vec4<u32> of quantized activations: actWords / 4

@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<uniform> np: NormParams;

var<workgroup> xs: array<vec4<u32>, ACT_VEC4>;
var<private> inputScale: f32;

fn prepareInput(lid: u32) {
  let n = normRow(lid, 0u, np.k, np.eps);
  inputScale = n.scale;
  for (var i = lid; i < ACT_VEC4; i += NQ_THREADS) {
    xs[i] = vec4(quantizeWord(0u, np.k, n, 4u * i), quantizeWord(0u, np.k, n, 4u * i + 1u),
                 quantizeWord(0u, np.k, n, 4u * i + 2u), quantizeWord(0u, np.k, n, 4u * i + 3u));
  }
  workgroupBarrier();
}
fn actWords(i: u32) -> vec4<u32> { return xs[i]; }
fn actScale() -> f32 { return inputScale; }
