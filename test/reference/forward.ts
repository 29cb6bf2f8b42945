// The slow, obvious CPU reference of the BitNet b1.58 forward pass (docs/math.md),
// written independently of the GPU code: it takes plain arrays, never the GPU layout.
import { quantizeRows, roundHalfEven } from './bitlinear.ts';
import type { BitNetConfig } from '../../src/model/config.ts';

const f = Math.fround;

export interface RefLinear {
  rows: number;
  cols: number;
  /** Ternary values, row-major [rows, cols]. */
  w: Int8Array;
  /** y = acc / (s_x * divisor). */
  divisor: number;
}

export interface RefLayer {
  inputNorm: Float32Array;
  q: RefLinear;
  k: RefLinear;
  v: RefLinear;
  attnSubNorm: Float32Array;
  o: RefLinear;
  postNorm: Float32Array;
  gate: RefLinear;
  up: RefLinear;
  ffnSubNorm: Float32Array;
  down: RefLinear;
}

export interface RefModel {
  config: BitNetConfig;
  embed: Float32Array; // [vocab, hidden]
  lmHead: Float32Array; // [vocab, hidden]
  finalNorm: Float32Array;
  layers: RefLayer[];
}

function rmsNorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (const v of x) ss += f(v * v);
  const inv = f(1 / Math.sqrt(f(f(ss / x.length) + eps)));
  return x.map((v, i) => f(f(v * inv) * weight[i]));
}

function bitLinear(x: Float32Array, l: RefLinear): Float32Array {
  const { q, scale } = quantizeRows(x, 1, l.cols);
  const y = new Float32Array(l.rows);
  for (let r = 0; r < l.rows; r++) {
    let acc = 0;
    for (let c = 0; c < l.cols; c++) acc += q[c] * l.w[r * l.cols + c];
    y[r] = f(acc / f(scale[0] * l.divisor));
  }
  return y;
}

function rope(v: Float32Array, pos: number, theta: number, d: number): void {
  const half = d / 2;
  for (let i = 0; i < half; i++) {
    const invFreq = f(1 / f(Math.pow(theta, f((2 * i) / d))));
    const a = f(pos * invFreq);
    const c = f(Math.cos(a));
    const s = f(Math.sin(a));
    const x1 = v[i];
    const x2 = v[i + half];
    v[i] = f(f(x1 * c) - f(x2 * s));
    v[i + half] = f(f(x2 * c) + f(x1 * s));
  }
}

/** Feeds one token at a time through the model, keeping a plain KV cache; returns that token's logits. */
export function referenceRunner(m: RefModel): (id: number) => Float32Array {
  const c = m.config;
  const H = c.hiddenSize;
  const D = c.headDim;
  const group = c.numHeads / c.numKvHeads;
  const kCache: Float32Array[][] = m.layers.map(() => []);
  const vCache: Float32Array[][] = m.layers.map(() => []);
  let pos = 0;
  return (id) => {
    let x = m.embed.slice(id * H, (id + 1) * H);
    m.layers.forEach((L, li) => {
      const h = rmsNorm(x, L.inputNorm, c.rmsNormEps);
      const q = bitLinear(h, L.q);
      const k = bitLinear(h, L.k);
      const v = bitLinear(h, L.v);
      for (let hd = 0; hd < c.numHeads; hd++) rope(q.subarray(hd * D, (hd + 1) * D), pos, c.ropeTheta, D);
      for (let hd = 0; hd < c.numKvHeads; hd++) rope(k.subarray(hd * D, (hd + 1) * D), pos, c.ropeTheta, D);
      kCache[li].push(k);
      vCache[li].push(v);
      const attn = new Float32Array(c.numHeads * D);
      for (let hd = 0; hd < c.numHeads; hd++) {
        const kvh = Math.floor(hd / group);
        const scores = kCache[li].map((kk) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[hd * D + d] * kk[kvh * D + d];
          return s / Math.sqrt(D);
        });
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; d++) {
          let a = 0;
          for (let t = 0; t < e.length; t++) a += e[t] * vCache[li][t][kvh * D + d];
          attn[hd * D + d] = f(a / sum);
        }
      }
      const o = bitLinear(rmsNorm(attn, L.attnSubNorm, c.rmsNormEps), L.o);
      x = x.map((v0, i) => f(v0 + o[i]));
      const h2 = rmsNorm(x, L.postNorm, c.rmsNormEps);
      const g = bitLinear(h2, L.gate);
      const u = bitLinear(h2, L.up);
      const act = g.map((gv, i) => {
        const r = Math.max(gv, 0);
        return f(f(r * r) * u[i]);
      });
      const dn = bitLinear(rmsNorm(act, L.ffnSubNorm, c.rmsNormEps), L.down);
      x = x.map((v0, i) => f(v0 + dn[i]));
    });
    pos++;
    const hf = rmsNorm(x, m.finalNorm, c.rmsNormEps);
    const logits = new Float32Array(c.vocabSize);
    for (let r = 0; r < c.vocabSize; r++) {
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

/** What transformers' fixtures hold, computed by the reference: logits, top-1 per position, greedy ids and margins. */
export function referenceExpectations(m: RefModel, ids: readonly number[], newTokens: number) {
  const step = referenceRunner(m);
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

/** transformers' online absmean quantization of a master weight (per tensor). */
export function quantizeMaster(w: Float32Array): { w: Int8Array; divisor: number } {
  let sum = 0;
  for (const v of w) sum += Math.abs(v);
  const s = f(1 / Math.max(f(sum / w.length), f(1e-5)));
  return { w: Int8Array.from(w, (v) => Math.max(-1, Math.min(1, roundHalfEven(f(v * s))))), divisor: s };
}
