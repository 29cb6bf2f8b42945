// What the attention kernels that read the KV cache (attentionPartial.wgsl, attentionDecode.wgsl,
// attentionPrompt.wgsl) are compiled for and read: attention.ts writes one uniform for all.

struct Params {
  qHeads: u32,
  kvHeads: u32,
  qkvStride: u32,
  splits: u32,
  scale: f32,     // 1 / sqrt(HEAD_DIM)
  tokens: u32,    // tokens in the pass
}

override HEAD_DIM: u32 = 64u; // a multiple of 4, at most MAX_HEAD_DIM (attention.ts checks it)
override GROUP: u32 = 1u;     // query heads per KV head, at most MAX_GROUP (attention.ts checks it)
