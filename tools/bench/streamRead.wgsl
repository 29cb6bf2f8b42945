// Memory-bandwidth probe: every invocation sums a strided slice of a large buffer (vec4<u32>
// loads, fully coalesced) and writes one word, so the reads cannot be optimized away.

@group(0) @binding(0) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<u32>;

const THREADS = 256u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * THREADS;
  var acc = vec4<u32>(0u);
  for (var i = gid.x; i < arrayLength(&data); i += stride) {
    acc ^= data[i];
  }
  let v = acc.x ^ acc.y ^ acc.z ^ acc.w;
  if (v == 0x12345678u) { sink[gid.x] = v; } // practically never: only keeps the loads alive
}
