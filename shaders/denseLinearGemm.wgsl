// The dense baseline's GEMM (prefill): Y[m, row] (+)= (sum_k f32(xq[m, k]) * w[row, k]) / xScale[m]
// with f32 weights. Tiles of 64 rows x 64 tokens, 256 threads of 4 x 4 outputs, 16 columns staged
// per step in workgroup memory: the same shape as ternaryGemm.wgsl.
// #include "lib/int8ToF32.wgsl"
// #include "lib/linearParams.wgsl"

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> xq: array<u32>;
@group(0) @binding(3) var<storage, read> xScale: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const TILE = 64u;
var<workgroup> wTile: array<vec4<f32>, 256>; // 64 rows x 16 columns
var<workgroup> xTile: array<vec4<f32>, 256>; // 64 tokens x 16 columns

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wid.x * TILE;
  let tok0 = wid.y * TILE;
  let tx = lid % 16u; // rows tx + 16 * j
  let ty = lid / 16u; // tokens ty + 16 * i
  let rowVec4 = p.kBlocks * 16u;
  let actWords = p.kBlocks * 16u;
  var acc: array<array<f32, 4>, 4>; // [token i][row j]
  for (var k0 = 0u; k0 < rowVec4; k0 += 4u) {
    // thread lid stages vec4 (lid % 4) of row / token (lid / 4)
    let r = row0 + lid / 4u;
    wTile[lid] = select(vec4<f32>(0.0), w[min(r, p.rows - 1u) * rowVec4 + k0 + lid % 4u], r < p.rows);
    let t = tok0 + lid / 4u;
    xTile[lid] = select(vec4<f32>(0.0), bytesToF32(xq[min(t, p.m - 1u) * actWords + k0 + lid % 4u]), t < p.m);
    workgroupBarrier();
    for (var k = 0u; k < 4u; k++) {
      var wv: array<vec4<f32>, 4>;
      for (var j = 0u; j < 4u; j++) { wv[j] = wTile[(tx + 16u * j) * 4u + k]; }
      for (var i = 0u; i < 4u; i++) {
        let xv = xTile[(ty + 16u * i) * 4u + k];
        for (var j = 0u; j < 4u; j++) { acc[i][j] += dot(wv[j], xv); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let t = tok0 + ty + 16u * i;
    if (t >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let r = row0 + tx + 16u * j;
      if (r >= p.rows) { continue; }
      let o = t * p.outStride + p.outOffset + r;
      let v = acc[i][j] / xScale[t];
      y[o] = select(v, y[o] + v, p.accumulate == 1u);
    }
  }
}
