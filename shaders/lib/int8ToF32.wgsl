// Four int8 values packed in a u32 (lowest byte first) as a vec4<f32>, without unpack4xI8
// (which needs a language feature): shift each byte to the top, then sign-extend back down.
fn bytesToF32(v: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(bitcast<i32>(v << 24u), bitcast<i32>(v << 16u), bitcast<i32>(v << 8u), bitcast<i32>(v)) >> vec4<u32>(24u));
}
