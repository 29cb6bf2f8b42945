// The slow, obvious CPU reference of the forward pass of every supported family (docs/math.md,
// docs/modelFamilies.md), written independently of the GPU code: it takes plain arrays, never
// the GPU layout, and a RefArchitecture (architecture.ts) that says which variant of the block to run.
import { quantizeRows, roundHalfEven } from './bitlinear.ts';
import type { RefArchitecture } from './architecture.ts';
import { applyRope, ropeInverseFrequencies } from './rope.ts';
import type { RoundingTies } from './roundingTies.ts';

const f = Math.fround;

export interface RefLinear {
  rows: number;
  cols: number;
  /** Ternary values, row-major [rows, cols]. */
  w: Int8Array;
  /** y = acc / (s_x * divisor). */
  divisor: number;
  /** The weight of the RMSNorm inside this BitLinear (architecture's linearNormEps), when it has one. */
  inputNorm?: Float32Array;
}

export interface RefLayer {
  inputNorm: Float32Array;
  q: RefLinear;
  k: RefLinear;
  v: RefLinear;
  /** Present exactly when the architecture has subNorms. */
  attnSubNorm?: Float32Array;
  o: RefLinear;
  postNorm: Float32Array;
  gate: RefLinear;
  up: RefLinear;
  /** Present exactly when the architecture has subNorms. */
  ffnSubNorm?: Float32Array;
  down: RefLinear;
}

export interface RefModel {
  arch: RefArchitecture;
  embed: Float32Array; // [vocab, hidden]
  lmHead: Float32Array; // [vocab, hidden]
  finalNorm: Float32Array;
  layers: RefLayer[];
}

export function rmsNorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (const v of x) ss += f(v * v);
  const inv = f(1 / Math.sqrt(f(f(ss / x.length) + eps)));
  return x.map((v, i) => f(f(v * inv) * weight[i]));
}

/**
 * One token through a BitLinear: the optional input RMSNorm, int8 absmax activations, ternary
 * product. `ties`: as quantizeRows takes it.
 */
export function bitLinear(x: Float32Array, l: RefLinear, arch: RefArchitecture, ties?: RoundingTies): Float32Array {
  if ((arch.linearNormEps === null) !== (l.inputNorm === undefined))
    throw new Error('reference: a BitLinear input norm must be given exactly when linearNormEps is set');
  const input = l.inputNorm ? rmsNorm(x, l.inputNorm, arch.linearNormEps!) : x;
  const { q, scale } = quantizeRows(input, 1, l.cols, ties);
  const y = new Float32Array(l.rows);
  for (let r = 0; r < l.rows; r++) {
    let acc = 0;
    for (let c = 0; c < l.cols; c++) acc += q[c] * l.w[r * l.cols + c];
    y[r] = f(acc / f(scale[0] * l.divisor));
  }
  return y;
}

function subNorm(x: Float32Array, weight: Float32Array | undefined, arch: RefArchitecture): Float32Array {
  if (arch.subNorms !== (weight !== undefined))
    throw new Error('reference: sub-norm weights must be given exactly when the architecture has subNorms');
  return weight ? rmsNorm(x, weight, arch.rmsNormEps) : x;
}

/** The gated MLP of one token: down(subNorm(act(gate(h)) * up(h))). */
export function gatedMlp(h: Float32Array, L: RefLayer, arch: RefArchitecture, ties?: RoundingTies): Float32Array {
  const g = bitLinear(h, L.gate, arch, ties);
  const u = bitLinear(h, L.up, arch, ties);
  const product = g.map((gv, i) => {
    const a = arch.activation === 'relu2' ? f(Math.max(gv, 0) * Math.max(gv, 0)) : f(gv / f(1 + Math.exp(-gv)));
    return f(a * u[i]);
  });
  return bitLinear(subNorm(product, L.ffnSubNorm, arch), L.down, arch, ties);
}

/** Softmax attention of one query head over the keys and values of its KV head, one row per position. */
export function attendOneHead(q: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array {
  const D = q.length;
  const scores = keys.map((k) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += q[d] * k[d];
    return s / Math.sqrt(D);
  });
  const max = Math.max(...scores);
  const weights = scores.map((s) => Math.exp(s - max));
  const sum = weights.reduce((p, c) => p + c, 0);
  const out = new Float32Array(D);
  for (let d = 0; d < D; d++) {
    let acc = 0;
    for (let t = 0; t < weights.length; t++) acc += weights[t] * values[t][d];
    out[d] = acc / sum;
  }
  return out;
}

/**
 * Feeds one token at a time through the model, keeping a plain KV cache; returns that token's
 * logits. `ties`: as quantizeRows takes it, for the whole run.
 */
export function referenceRunner(m: RefModel, ties?: RoundingTies): (id: number) => Float32Array {
  const a = m.arch;
  const H = a.hiddenSize;
  const D = a.headDim;
  const group = a.numHeads / a.numKvHeads;
  const invFreq = ropeInverseFrequencies(a.rope, D);
  const kCache: Float32Array[][] = m.layers.map(() => []);
  const vCache: Float32Array[][] = m.layers.map(() => []);
  let pos = 0;
  return (id) => {
    let x = m.embed.slice(id * H, (id + 1) * H);
    m.layers.forEach((L, li) => {
      const h = rmsNorm(x, L.inputNorm, a.rmsNormEps);
      const q = bitLinear(h, L.q, a, ties);
      const k = bitLinear(h, L.k, a, ties);
      const v = bitLinear(h, L.v, a, ties);
      for (let hd = 0; hd < a.numHeads; hd++) applyRope(q.subarray(hd * D, (hd + 1) * D), pos, invFreq);
      for (let hd = 0; hd < a.numKvHeads; hd++) applyRope(k.subarray(hd * D, (hd + 1) * D), pos, invFreq);
      kCache[li].push(k);
      vCache[li].push(v);
      const attn = new Float32Array(a.numHeads * D);
      for (let hd = 0; hd < a.numHeads; hd++) {
        const kvh = Math.floor(hd / group);
        const head = (row: Float32Array) => row.subarray(kvh * D, (kvh + 1) * D);
        attn.set(attendOneHead(q.subarray(hd * D, (hd + 1) * D), kCache[li].map(head), vCache[li].map(head)), hd * D);
      }
      const o = bitLinear(subNorm(attn, L.attnSubNorm, a), L.o, a, ties);
      x = x.map((v0, i) => f(v0 + o[i]));
      const dn = gatedMlp(rmsNorm(x, L.postNorm, a.rmsNormEps), L, a, ties);
      x = x.map((v0, i) => f(v0 + dn[i]));
    });
    pos++;
    const hf = rmsNorm(x, m.finalNorm, a.rmsNormEps);
    const logits = new Float32Array(a.vocabSize);
    for (let r = 0; r < a.vocabSize; r++) {
      let s = 0;
      for (let i = 0; i < H; i++) s += hf[i] * m.lmHead[r * H + i];
      logits[r] = s;
    }
    return logits;
  };
}

function top2(logits: Float32Array): [number, number] {
  let a = 0;
  let b = -1;
  for (let i = 1; i < logits.length; i++) {
    if (logits[i] > logits[a]) [a, b] = [i, a];
    else if (b < 0 || logits[i] > logits[b]) b = i;
  }
  return [a, b];
}

/**
 * What transformers' fixtures hold, computed by the reference: logits, top-1 per position, greedy
 * ids and margins. `ties`: as quantizeRows takes it.
 */
export function referenceExpectations(m: RefModel, ids: readonly number[], newTokens: number, ties?: RoundingTies) {
  const step = referenceRunner(m, ties);
  const top1: number[] = [];
  let logits: Float32Array = new Float32Array(0);
  for (const id of ids) {
    logits = step(id);
    top1.push(top2(logits)[0]);
  }
  const lastLogits = Array.from(logits);
  const greedy: number[] = [];
  const margins: number[] = [];
  for (let i = 0; i < newTokens; i++) {
    const [a, b] = top2(logits);
    greedy.push(a);
    margins.push(logits[a] - logits[b]);
    if (i + 1 < newTokens) logits = step(a);
  }
  return {
    input_ids: [...ids],
    last_logits: lastLogits,
    top5_ids: top1.map((t) => [t]),
    greedy_new_ids: greedy,
    greedy_top2_margin: margins,
  };
}

/**
 * Absmean quantization of a full-precision master weight, per tensor, as transformers' WeightQuant and
 * 1bitLLM's weight_quant do it: s = 1 / max(mean|W|, 1e-5), w = clamp(round(W * s), -1, 1); the
 * BitLinear output is then divided by s.
 */
export function quantizeMaster(w: Float32Array): { w: Int8Array; divisor: number } {
  let sum = 0;
  for (const v of w) sum += Math.abs(v);
  const s = f(1 / Math.max(f(sum / w.length), f(1e-5)));
  return { w: Int8Array.from(w, (v) => Math.max(-1, Math.min(1, roundHalfEven(f(v * s))))), divisor: s };
}
