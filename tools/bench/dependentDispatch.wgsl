// The cheapest dependent dispatch: one workgroup bumps a counter the next dispatch reads and
// writes again, so each waits for the one before. A chain of them measures what a dispatch costs
// the GPU by itself, whatever the kernel (tools/profilePass.ts).
@group(0) @binding(0) var<storage, read_write> counter: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { counter[0] += 1u; }
}
