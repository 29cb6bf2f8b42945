// The per-pass uniform the scheduler rewrites before each submission (prepended by the wrappers
// of the kernels that read it): where this pass's tokens go in the KV cache, and which slot of
// the generated-ids buffer the chosen token fills.
struct Step {
  pos0: u32,      // position of the first token of this pass
  genIndex: u32,  // decode step number
}

@group(0) @binding(1) var<uniform> step: Step;
