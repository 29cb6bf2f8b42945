// The uniform linearDispatch.ts writes for every linear layer's kernels, ternary and the f32
// baseline alike: GemvParams for one token, GemmParams for many.

struct GemvParams {
  rows: u32,       // rows in this weight part
  kBlocks: u32,    // 64-column blocks per row
  outOffset: u32,  // index in y of this part's first row
  accumulate: u32, // 1: add into y (residual), 0: overwrite
}

struct GemmParams {
  rows: u32,       // rows in this weight part
  kBlocks: u32,    // 64-column blocks per row
  outOffset: u32,  // column in Y of this part's first row
  accumulate: u32, // 1: add into Y (residual), 0: overwrite
  m: u32,          // tokens
  outStride: u32,  // floats between token rows of Y
}
