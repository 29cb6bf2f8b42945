// embedLookup.wgsl for an int8 table (four values per u32, an f32 scale per 64 columns):
// x[m, :] = table[ids[m], :] * scale. This dispatch covers rows [rowStart, rowStart + rows).

struct Params {
  rowStart: u32,
  rows: u32,
  cols: u32,
  blocks: u32,     // 64-column blocks per row
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = wid.x;
  let id = ids[m];
  if (id < p.rowStart || id >= p.rowStart + p.rows) { return; }
  let r = id - p.rowStart;
  for (var c = lid; c < p.cols; c += 256u) {
    let word = table[r * p.blocks * 16u + c / 4u];
    let value = bitcast<i32>(word << (24u - 8u * (c % 4u))) >> 24u;
    x[m * p.cols + c] = f32(value) * scales[r * p.blocks + c / 64u];
  }
}
