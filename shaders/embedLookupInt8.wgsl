// embedLookupBf16.wgsl's lookup for an int8 table: four values per u32 (lowest byte first),
// value = int8 * the f32 scale of its 64-column block.

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

// Column c of row r of this part.
fn tableValue(r: u32, c: u32) -> f32 {
  let word = table[r * p.blocks * 16u + c / 4u];
  let value = bitcast<i32>(word << (24u - 8u * (c % 4u))) >> 24u;
  return f32(value) * scales[r * p.blocks + c / 64u];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = wid.x;
  let id = ids[m];
  if (id < p.rowStart || id >= p.rowStart + p.rows) { return; }
  for (var c = lid; c < p.cols; c += 256u) {
    x[m * p.cols + c] = tableValue(id - p.rowStart, c);
  }
}
