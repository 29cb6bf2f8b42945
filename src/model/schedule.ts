// The forward pass as a list of op calls: from a model's description, weights, kernels and buffers,
// the dispatches of one pass of m tokens, in order. Building a pass only records (bind groups and
// small parameter uniforms); nothing runs until the list is submitted.
import type { Dispatch } from '../gpu/computeKernel.ts';
import type { LinearWeights } from '../weights/formats.ts';
import type { ModelBuffers } from './bufferPlan.ts';
import type { ModelDescription } from './description.ts';
import type { DecodeLinearInput, ModelKernels } from './modelKernels.ts';
import type { BitLinearWeights, ModelWeights } from './modelWeights.ts';

/**
 * What a pass ends with: nothing (a prompt chunk before the last: only the KV cache is wanted),
 * logits of the last token or of every token, or the next token chosen on the GPU.
 */
export type PassOutput = 'none' | 'last' | 'all' | 'argmax' | 'sample';

/** Everything a pass binds. */
export interface PassInputs {
  description: ModelDescription;
  weights: ModelWeights;
  kernels: ModelKernels;
  buffers: ModelBuffers;
}

/**
 * The dispatches of a pass of `m` tokens at the position in the step uniform: embedding lookup,
 * the blocks, then (unless `output` is 'none') the final norm, the lm_head and the choice of the
 * next token. A block (docs/math.md, docs/modelFamilies.md):
 *   x += o_proj(attention(rope(qkv(input_layernorm(x)))))
 *   x += down_proj(act(gate) * up),  gate | up = gate_up(post_attention_layernorm(x))
 * with act relu^2 or SiLU, o_proj's and down_proj's inputs normalized by the sub-norms where the
 * family has them, and, with use_rms_norm, every linear's input normalized again by its own norm.
 * Every linear reads int8 activations, so each norm before one is fused with the quantization.
 */
export function buildPass(p: PassInputs, m: number, output: PassOutput): Dispatch[] {
  const c = p.description;
  const k = p.kernels;
  const b = p.buffers.working;
  const w = p.weights;
  const qDim = c.numHeads * c.headDim;
  const eps = c.rmsNormEps;

  // The ops: each returns its dispatches.
  type Norm = { weight: GPUBuffer; eps: number } | undefined;
  type Output = { accumulate?: boolean; outStride?: number; outOffset?: number };
  const linear = (weights: LinearWeights, y: GPUBuffer, out: Output = {}) => {
    const call = { xq: b.xq, xScale: b.xScale, y, m, ...out };
    return weights.format === 'f32'
      ? k.denseLinear!.prepare({ ...call, weights })
      : k.matmul.prepare({ ...call, weights });
  };
  // A linear reading `x` (the hidden state, the attention output or the MLP's [gate | up]) through
  // its input's norm and quantization: one fused dispatch in a decode step where the adapter has
  // the kernel, else the quantization and then the product.
  const quantizedLinear = (
    input: DecodeLinearInput,
    x: GPUBuffer,
    norm: Norm,
    weights: LinearWeights,
    y: GPUBuffer,
    out: Output = {},
  ) => {
    const fused = m === 1 ? k.decodeLinears?.[input] : undefined;
    if (fused && weights.format === 'ternary')
      return fused.prepare({ x, norm, weights, y, outOffset: out.outOffset, accumulate: out.accumulate });
    const quantizeCall = { x, norm, xq: b.xq, xScale: b.xScale, rows: m };
    const quantize =
      input === 'mlp'
        ? k.gated.prepare({ ...quantizeCall, cols: c.intermediateSize })
        : (norm ? k.norm : k.quantize!).prepare({ ...quantizeCall, cols: input === 'hidden' ? c.hiddenSize : qDim });
    return [...quantize, ...linear(weights, y, out)];
  };
  // The norm before o_proj or down_proj: the family's sub-norm or (use_rms_norm) the linear's own.
  const normBefore = (subNorm: GPUBuffer | undefined, l: BitLinearWeights): Norm =>
    subNorm ? { weight: subNorm, eps } : l.inputNorm && { weight: l.inputNorm, eps: c.linearNormEps! };
  // The linears reading one normalized state, into `y` side by side: one stacked product; with
  // use_rms_norm the state in float, then each linear's own norm of it and its product.
  const normedLinears = (x: GPUBuffer, weight: GPUBuffer, linears: BitLinearWeights[], y: GPUBuffer) => {
    if (c.linearNormEps === null) return quantizedLinear('hidden', x, { weight, eps }, linears[0].weights, y);
    const outStride = linears.reduce((n, l) => n + l.weights.rows, 0);
    const ops = k.rmsNorm.prepare({ x, weight, y: b.h, cols: c.hiddenSize, firstRow: 0, rows: m, eps });
    let outOffset = 0;
    for (const l of linears) {
      const norm = { weight: l.inputNorm!, eps: c.linearNormEps };
      ops.push(...quantizedLinear('hidden', b.h, norm, l.weights, y, { outStride, outOffset }));
      outOffset += l.weights.rows;
    }
    return ops;
  };
  const attention = (layer: number) =>
    k.attention.prepare({
      step: b.step,
      qkv: b.qkv,
      kCache: p.buffers.kv[layer].k,
      vCache: p.buffers.kv[layer].v,
      ropeCos: b.ropeCos,
      ropeSin: b.ropeSin,
      out: b.attn,
      partial: b.attnScratch,
      tokens: m,
      splits: m === 1 ? k.attention.maxSplits : 1,
    });

  const d: Dispatch[] = [...k.embed.prepare({ weights: w.embedding, ids: b.ids, x: b.x, tokens: m })];
  w.layers.forEach((layer, i) => {
    d.push(...normedLinears(b.x, layer.inputNorm, layer.qkv, b.qkv));
    d.push(...attention(i));
    const attnNorm = normBefore(layer.attnSubNorm, layer.o);
    d.push(...quantizedLinear('attention', b.attn, attnNorm, layer.o.weights, b.x, { accumulate: true }));
    d.push(...normedLinears(b.x, layer.postAttentionNorm, layer.gateUp, b.gateUp));
    const mlpNorm = normBefore(layer.ffnSubNorm, layer.down);
    d.push(...quantizedLinear('mlp', b.gateUp, mlpNorm, layer.down.weights, b.x, { accumulate: true }));
  });
  if (output === 'none') return d;

  const rows = output === 'all' ? m : 1;
  d.push(
    ...k.rmsNorm.prepare({
      x: b.x,
      weight: w.finalNorm,
      y: b.h,
      cols: c.hiddenSize,
      firstRow: m - rows,
      rows,
      eps,
    }),
  );
  const logits = output === 'all' ? p.buffers.allLogits() : b.logits;
  d.push(...k.lmHead.prepare({ weights: w.lmHead, h: b.h, y: logits, tokens: rows }));
  const pick = { step: b.step, logits, ids: b.ids, generated: b.generated };
  if (output === 'argmax') d.push(...k.argmax.prepare({ ...pick, n: c.vocabSize, offset: 0 }));
  if (output === 'sample') d.push(...k.sample.prepare({ ...pick, sampling: b.samplerParams, seen: b.seen }));
  return d;
}
