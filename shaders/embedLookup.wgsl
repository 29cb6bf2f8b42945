// embedLookupMain.wgsl's table in bf16: two values per u32, low half first.

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
