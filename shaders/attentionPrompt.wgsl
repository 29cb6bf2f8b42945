enable subgroups;
// Causal attention of a prompt's tokens, each over its keys 0 ..= its position in the KV cache
// (ropeKvWrite.wgsl has rotated q and written the prompt's keys and values), in one dispatch with
// no barrier: no per-span states and no combine.
//  - One workgroup per (KV head, block of ROWS query rows); a query row is one (token, query head
//    sharing the KV head), rows numbered token by token.
//  - LANES consecutive invocations of one subgroup share ROW_SETS rows, ROWS apart: each holds
//    the vec4s lane, lane + LANES, ... of their q and of their outputs, so that a row's lanes read
//    one key's consecutive bytes together, and every key or value read serves ROW_SETS rows. A
//    score is summed over the lanes by shuffles.
//  - The workgroup stages TILE_KEYS keys and values at a time in workgroup memory (each
//    invocation loads a few vec4s; the next tile's are loaded while this one is used), and every
//    row takes its scores and P.V from there in chunks of CHUNK keys, keeping its own online
//    softmax. The workgroup runs to its last row's last key; a row masks the keys past its own.
//    (Rows reading keys and values straight from memory, a chain of memory round trips per chunk,
//    took 0.8 ms a layer for a 512-token prompt on an H200.)
// attentionPartial.wgsl, one workgroup per token with a key per invocation and tree reductions
// through workgroup memory, is the fallback where there are no subgroups.
// #include "lib/stepUniform.wgsl"
// #include "lib/attentionHeadParams.wgsl"

// LANES (invocations per row: a power of two, at most the smallest subgroup), LANE_VEC4S (vec4s
// of a head per lane: LANES * LANE_VEC4S >= HEAD_DIM / 4) and TILE_KEYS (a multiple of CHUNK,
// TILE_KEYS * HEAD_DIM / 4 <= TILE_VEC4S) as constants: they size arrays.
// #slot promptLanes

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: StepUniform;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<vec4<f32>>; // [position, kvHeads, HEAD_DIM]
@group(0) @binding(4) var<storage, read> vCache: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;    // [token, qHeads * HEAD_DIM]

const WG = 256u;
const ROWS = WG / LANES;  // rows of one set
const ROW_SETS = 2u;
const BLOCK = ROWS * ROW_SETS; // rows of a workgroup
const CHUNK = 4u;
const TILE_VEC4S = 512u; // of keys, and of values: 16 KiB of workgroup memory in all
const STAGED = TILE_VEC4S / WG; // vec4s of keys (and of values) each invocation stages
const NEG_BIG = -3.0e38; // stands for -inf, which WGSL implementations need not support
var<workgroup> kTile: array<vec4<f32>, TILE_VEC4S>; // [key of the tile, HEAD_DIM / 4]
var<workgroup> vTile: array<vec4<f32>, TILE_VEC4S>;

// The cache index of vec4 i of tile `tile`'s keys (or values) of head kvh: keys from lastKeys on
// re-read the last one, vec4s past the tile the tile's last.
fn stagedSource(tile: u32, i: u32, lastKeys: u32, kvh: u32) -> u32 {
  let D4 = HEAD_DIM / 4u;
  let v = min(i, TILE_KEYS * D4 - 1u);
  let key = min(tile * TILE_KEYS + v / D4, lastKeys - 1u);
  return (key * p.kvHeads + kvh) * D4 + v % D4;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) subgroup: u32,
        @builtin(subgroup_invocation_id) inSubgroup: u32, @builtin(subgroup_size) subgroupSize: u32) {
  let kvh = wid.x;
  let D4 = HEAD_DIM / 4u;
  let t = subgroup * subgroupSize + inSubgroup; // consecutive within a subgroup
  let lane = t % LANES;
  let rows = p.tokens * GROUP;
  // the workgroup reads keys up to its last row's
  let lastKeys = step.pos0 + (min(wid.y * BLOCK + BLOCK, rows) - 1u) / GROUP + 1u;
  var row: array<u32, ROW_SETS>;
  var keys: array<u32, ROW_SETS>; // keys 0 .. keys - 1 are the row's
  var q: array<array<vec4<f32>, LANE_VEC4S>, ROW_SETS>;
  for (var r = 0u; r < ROW_SETS; r++) {
    row[r] = wid.y * BLOCK + r * ROWS + t / LANES;
    let token = min(row[r], rows - 1u) / GROUP; // rows past the last compute the last one's, unwritten
    keys[r] = step.pos0 + token + 1u;
    let qBase = token * p.qkvStride + (kvh * GROUP + row[r] % GROUP) * HEAD_DIM;
    for (var j = 0u; j < LANE_VEC4S; j++) {
      let d = 4u * min(lane + LANES * j, D4 - 1u);
      let v = vec4(qkv[qBase + d], qkv[qBase + d + 1u], qkv[qBase + d + 2u], qkv[qBase + d + 3u]);
      q[r][j] = select(vec4(0.0), v, lane + LANES * j < D4); // lanes past the head add nothing to a score
    }
  }
  var runMax: array<f32, ROW_SETS>;
  var runSum: array<f32, ROW_SETS>;
  var acc: array<array<vec4<f32>, LANE_VEC4S>, ROW_SETS>;
  for (var r = 0u; r < ROW_SETS; r++) { runMax[r] = NEG_BIG; }
  // what this invocation stages: vec4s lid, lid + WG, ... of the tile's keys and of its values
  var kk: array<vec4<f32>, STAGED>;
  var vv: array<vec4<f32>, STAGED>;
  for (var s = 0u; s < STAGED; s++) {
    let src = stagedSource(0u, lid + WG * s, lastKeys, kvh);
    kk[s] = kCache[src];
    vv[s] = vCache[src];
  }
  // loops count up by one to a bound fixed before them (normQuantizeGemv.wgsl says why)
  let tiles = (lastKeys + TILE_KEYS - 1u) / TILE_KEYS;
  for (var tile = 0u; tile < tiles; tile++) {
    for (var s = 0u; s < STAGED; s++) {
      let i = lid + WG * s;
      if (i < TILE_KEYS * D4) {
        kTile[i] = kk[s];
        vTile[i] = vv[s];
      }
    }
    workgroupBarrier();
    if (tile + 1u < tiles) {
      for (var s = 0u; s < STAGED; s++) {
        let src = stagedSource(tile + 1u, lid + WG * s, lastKeys, kvh);
        kk[s] = kCache[src];
        vv[s] = vCache[src];
      }
    }
    for (var c = 0u; c < TILE_KEYS / CHUNK; c++) {
      let k0 = tile * TILE_KEYS + c * CHUNK; // keys past lastKeys were staged as the last one, and are masked
      var score: array<array<f32, CHUNK>, ROW_SETS>;
      // zeroed explicitly: SwiftShader and lavapipe were seen to keep the previous iteration's values
      for (var r = 0u; r < ROW_SETS; r++) { score[r] = array<f32, CHUNK>(); }
      for (var e = 0u; e < CHUNK; e++) {
        let kb = (c * CHUNK + e) * D4;
        for (var j = 0u; j < LANE_VEC4S; j++) {
          let k = kTile[kb + min(lane + LANES * j, D4 - 1u)];
          for (var r = 0u; r < ROW_SETS; r++) { score[r][e] += dot(q[r][j], k); }
        }
      }
      for (var level = 0u; level < countTrailingZeros(LANES); level++) {
        for (var r = 0u; r < ROW_SETS; r++) {
          for (var e = 0u; e < CHUNK; e++) { score[r][e] += subgroupShuffleXor(score[r][e], 1u << level); }
        }
      }
      var weight: array<array<f32, CHUNK>, ROW_SETS>;
      for (var r = 0u; r < ROW_SETS; r++) {
        var chunkMax = NEG_BIG;
        for (var e = 0u; e < CHUNK; e++) {
          score[r][e] = select(NEG_BIG, score[r][e] * p.scale, k0 + e < keys[r]);
          chunkMax = max(chunkMax, score[r][e]);
        }
        // key 0 is every row's: runMax is finite from the first chunk on, and a chunk past a
        // row's keys leaves its state as it was
        let newMax = max(runMax[r], chunkMax);
        let correction = exp(runMax[r] - newMax);
        runSum[r] *= correction;
        for (var j = 0u; j < LANE_VEC4S; j++) { acc[r][j] *= correction; }
        for (var e = 0u; e < CHUNK; e++) {
          weight[r][e] = select(0.0, exp(score[r][e] - newMax), k0 + e < keys[r]);
          runSum[r] += weight[r][e];
        }
        runMax[r] = newMax;
      }
      for (var e = 0u; e < CHUNK; e++) {
        let vb = (c * CHUNK + e) * D4;
        for (var j = 0u; j < LANE_VEC4S; j++) {
          let v = vTile[vb + min(lane + LANES * j, D4 - 1u)];
          for (var r = 0u; r < ROW_SETS; r++) { acc[r][j] += weight[r][e] * v; }
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < ROW_SETS; r++) {
    if (row[r] < rows) {
      let token = row[r] / GROUP;
      let o = token * p.qHeads * HEAD_DIM + (kvh * GROUP + row[r] % GROUP) * HEAD_DIM;
      for (var j = 0u; j < LANE_VEC4S; j++) {
        let i = lane + LANES * j;
        if (i < D4) {
          let v = acc[r][j] / runSum[r];
          for (var e = 0u; e < 4u; e++) { out[o + 4u * i + e] = v[e]; }
        }
      }
    }
  }
}
