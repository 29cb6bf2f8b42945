// The lm_head GEMV for CPU adapters: one invocation per row, no barriers (see
// ternaryGemvRows.wgsl for why); workgroup z is the token. Prepended by the wrapper: the weight
// format's Params, bindings and rowDot (denseGemvRows.wgsl for bf16, int8GemvRows.wgsl for int8),
// the same bindings and parameters as that format's lanes kernel.

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * 64u + lid;
  let m = wid.z;
  if (row >= p.rows) { return; }
  y[m * p.outStride + p.outOffset + row] = rowDot(row, m);
}
