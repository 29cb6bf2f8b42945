// x[m, :] = table[ids[m], :] as float32, for a bf16 table (two values per u32, low half first)
// split into row ranges that each fit one binding: this dispatch covers rows
// [rowStart, rowStart + rows) and leaves other tokens to the other parts. embedLookupInt8.wgsl is
// the same lookup for an int8 table.

struct Params {
  rowStart: u32,
  rows: u32,
  cols: u32,
  wordsPerRow: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

// Column c of row r of this part.
fn tableValue(r: u32, c: u32) -> f32 {
  let word = table[r * p.wordsPerRow + c / 2u];
  return bitcast<f32>(select(word << 16u, word & 0xffff0000u, (c & 1u) == 1u));
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
