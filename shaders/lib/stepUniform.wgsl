// The per-pass uniform the scheduler rewrites before each submission: where this pass's tokens go
// in the KV cache, and which slot of the generated-ids buffer the chosen token fills. A kernel that
// reads it declares the binding: `@group(0) @binding(N) var<uniform> step: StepUniform;`.
struct StepUniform {
  pos0: u32,      // position of the first token of this pass
  genIndex: u32,  // decode step number
}
