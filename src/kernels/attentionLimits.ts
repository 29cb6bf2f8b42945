// The attention kernels' limits, as plain constants: the config check (src/model/config.ts, which
// the loader runs before downloading) and the kernels (attention.ts) read the same values.

/** The widest head the attention kernels hold in registers: a multiple of attentionPartial.wgsl's 64-key tile. */
export const MAX_HEAD_DIM = 256;
/** The most query heads sharing a KV head (GQA) the attention kernels hold in registers. */
export const MAX_GROUP = 8;
/** The most key spans attentionCombine.wgsl merges (one per thread). */
export const MAX_SPLITS = 64;
