// RMSNorm then int8 quantization of one row, the arithmetic shared by normQuantize.wgsl and the
// fused GEMV input (ternaryGemvNormInput.wgsl), so both give bit-identical activations:
//   v = GATED ? relu(gate)^2 * up : x          (BitNet's relu2 MLP: row = [gate | up])
//   h = (v / sqrt(mean(v^2) + eps)) * weight    (float32, as transformers computes it)
//   s = 127 / max(max|h|, 1e-5);  q = clamp(round(h * s), -128, 127), four int8 per u32
// Needs `x` and `weight` storage arrays from the including kernel and a 256-thread workgroup.

override GATED: bool = false;

const NQ_THREADS = 256u;
var<workgroup> red: array<f32, NQ_THREADS>;

fn nqValue(base: u32, k: u32, i: u32) -> f32 {
  if (GATED) {
    let g = max(x[base + i], 0.0);
    return g * g * x[base + k + i];
  }
  return x[base + i];
}

fn reduceSum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = NQ_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn reduceMax(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = NQ_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

struct RowNorm {
  inv: f32,    // 1 / rms
  scale: f32,  // the int8 scale s
}

// Every thread of the workgroup must call this (it synchronizes).
fn normRow(lid: u32, base: u32, k: u32, eps: f32) -> RowNorm {
  var ss = 0.0;
  for (var i = lid; i < k; i += NQ_THREADS) {
    let v = nqValue(base, k, i);
    ss += v * v;
  }
  let inv = inverseSqrt(reduceSum(lid, ss) / f32(k) + eps);
  var m = 0.0;
  for (var i = lid; i < k; i += NQ_THREADS) {
    m = max(m, abs(nqValue(base, k, i) * inv * weight[i]));
  }
  return RowNorm(inv, 127.0 / max(reduceMax(lid, m), 1e-5));
}

// Quantized word `w` (columns 4w .. 4w + 3) of the row; columns past k are zero.
fn quantizeWord(base: u32, k: u32, n: RowNorm, w: u32) -> u32 {
  var packed = 0u;
  for (var j = 0u; j < 4u; j++) {
    let c = w * 4u + j;
    if (c < k) {
      let q = i32(clamp(round(nqValue(base, k, c) * n.inv * weight[c] * n.scale), -128.0, 127.0));
      packed |= (u32(q) & 0xffu) << (8u * j);
    }
  }
  return packed;
}
