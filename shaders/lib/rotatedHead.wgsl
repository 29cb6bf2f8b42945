// A head of the fused qkv row rotated as it is read (ropeRotation.wgsl), for the decode-step
// attention kernels, which rotate q and the new key themselves instead of running ropeKvWrite.wgsl.
// The including kernel declares HEAD_DIM and the bindings qkv, ropeCos and ropeSin
// ([position, HEAD_DIM / 2] each).
// #include "ropeRotation.wgsl"

/** Dimension d of the head at qkv[base..] rotated for position pos. */
fn rotated(base: u32, d: u32, pos: u32) -> f32 {
  let half = HEAD_DIM / 2u;
  let i = d % half;
  let c = ropeCos[pos * half + i];
  let s = ropeSin[pos * half + i];
  let r = ropeRotate(qkv[base + i], qkv[base + i + half], c, s);
  return select(r.y, r.x, d < half);
}

/** Dimensions d .. d + 3 of the head at qkv[base..] rotated for position pos. */
fn rotated4(base: u32, d: u32, pos: u32) -> vec4<f32> {
  return vec4(rotated(base, d, pos), rotated(base, d + 1u, pos), rotated(base, d + 2u, pos), rotated(base, d + 3u, pos));
}
