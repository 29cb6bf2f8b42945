// Four int8 values packed in a u32 (lowest byte first) as a vec4<f32>, exactly, without an
// int-to-float conversion: each byte, offset to unsigned (b + 128), becomes the low mantissa bits
// of 2^23, so the float is 2^23 + 128 + b and one subtraction leaves b. (Conversions run at a
// quarter of the integer rate on NVIDIA GPUs: the int8 lm_head made 328 M of them per token.)
fn bytesToF32(v: u32) -> vec4<f32> {
  let u = v ^ 0x80808080u;
  let bits = vec4<u32>(u & 0xffu, (u >> 8u) & 0xffu, (u >> 16u) & 0xffu, u >> 24u) | vec4<u32>(0x4b000000u);
  return bitcast<vec4<f32>>(bits) - vec4<f32>(8388736.0);
}
