// x[m, :] = table[ids[m], :] as float32, for a table split into row ranges that each fit one
// binding: this dispatch covers rows [rowStart, rowStart + rows) and leaves other tokens to the
// other parts. Prepended by the wrapper: the table format's Params, bindings and tableValue
// (embedLookup.wgsl for bf16, embedLookupInt8.wgsl for int8).

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = wid.x;
  let id = ids[m];
  if (id < p.rowStart || id >= p.rowStart + p.rows) { return; }
  for (var c = lid; c < p.cols; c += 256u) {
    x[m * p.cols + c] = tableValue(id - p.rowStart, c);
  }
}
