// How a token's keys 0..keys-1 are cut into the spans of split-KV attention: `splits` spans of
// whole 64-key tiles (the last ones may be empty). attentionPartial.wgsl works span by span;
// attentionCombine.wgsl reads back only the spans that hold keys.
const TILE = 64u;

fn spanLength(keys: u32, splits: u32) -> u32 {
  return ((keys + splits - 1u) / splits + TILE - 1u) / TILE * TILE;
}
