// The gated MLP's product act(gate) * up, for the kernels that quantize down_proj's input:
// relu(gate)^2 * up (BitNet b1.58) or silu(gate) * up = gate / (1 + exp(-gate)) * up (Llama).
// GATE picks it; GATE_NONE marks a kernel whose input is not gated (it never calls this).

const GATE_NONE = 0u;
const GATE_RELU2 = 1u;
const GATE_SILU = 2u;
override GATE: u32 = GATE_NONE;

fn gatedActivation(gate: f32, up: f32) -> f32 {
  if (GATE == GATE_RELU2) {
    let r = max(gate, 0.0);
    return r * r * up;
  }
  // exp of a non-positive number only: exp(-gate) of a very negative gate would overflow
  let e = exp(-abs(gate));
  return select(gate * e / (1.0 + e), gate / (1.0 + e), gate >= 0.0) * up;
}
