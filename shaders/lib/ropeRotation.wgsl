// Rotary position embedding, rotate-half convention: dimension i of a head's first half and
// dimension i of its second half turn together by the angle whose cosine and sine are c and s.
// ropeKvWrite.wgsl (prompts) and rotatedHead.wgsl (decode steps) both call this, so a key
// rotated by either is the same bit for bit.
fn ropeRotate(x1: f32, x2: f32, c: f32, s: f32) -> vec2<f32> {
  return vec2(x1 * c - x2 * s, x2 * c + x1 * s);
}
