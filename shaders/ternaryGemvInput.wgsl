// GEMV input already quantized (by normQuantize.wgsl): int8 activations and their scale in storage.

@group(0) @binding(3) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> xScale: array<f32>;

fn prepareInput(lid: u32) {}
fn actWords(i: u32) -> vec4<u32> { return xq[i]; }
fn actScale() -> f32 { return xScale[0]; }
