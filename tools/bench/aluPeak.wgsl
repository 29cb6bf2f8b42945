// ALU probe (tools/aluPeak.ts): every invocation updates SUMS independent sums ITERS times with
// step(), so that the ALU, not a dependency chain, sets the pace, and writes nothing unless their
// xor hits one value: no memory traffic, and the sums stay live.

// Sum (the sums' type) and fn step(a: Sum, x: u32, y: u32, c: u32) -> Sum, the operation measured:
// #slot aluStep

override ITERS: u32 = 4096u;
const SUMS = 8u;

@group(0) @binding(0) var<storage, read_write> sink: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var a: array<Sum, SUMS>;
  for (var c = 0u; c < SUMS; c++) { a[c] = Sum(c); }
  var x = gid.x * 2654435761u;
  let y = x ^ 0x9e3779b9u;
  for (var i = 0u; i < ITERS; i++) {
    for (var c = 0u; c < SUMS; c++) { a[c] = step(a[c], x, y, c); }
    x += 0x01010101u;
  }
  var s = 0u;
  for (var c = 0u; c < SUMS; c++) { s ^= bitcast<u32>(a[c]); }
  if (s == 0x12345678u) { sink[gid.x] = s; } // practically never: only keeps the sums alive
}
