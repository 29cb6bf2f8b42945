// The forward pass as a list of op calls: from a model's description, weights, kernels and buffers,
// the dispatches of one pass of m tokens, in order. Building a pass only records (bind groups and
// small parameter uniforms); nothing runs until the list is submitted.
import type { Dispatch } from '../gpu/computeKernel.ts';
import { MAX_SPLITS } from '../kernels/attention.ts';
import type { LinearWeights } from '../weights/formats.ts';
import type { ModelBuffers } from './bufferPlan.ts';
import type { ModelDescription } from './description.ts';
import type { ModelKernels } from './modelKernels.ts';
import type { ModelWeights } from './modelWeights.ts';

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
  /** Key spans per head in a decode step's attention (decodeSplitsFor). */
  decodeSplits: number;
}

/**
 * Key spans per head in a decode step's attention: one 64-key tile per workgroup while the cache
 * allows (a decode step has only kvHeads x splits workgroups, and with 3 splits the 2B-4T shape
 * left most of an H100 idle: 63 us per layer).
 */
export function decodeSplitsFor(contextLength: number): number {
  return Math.min(MAX_SPLITS, Math.max(1, Math.ceil(contextLength / 64)));
}

/**
 * The dispatches of a pass of `m` tokens at the position in the step uniform: embedding lookup,
 * the blocks, then (unless `output` is 'none') the final norm, the lm_head and the choice of the
 * next token. A BitNet b1.58 block (the description's sub-norms and relu2 MLP):
 *   x += o_proj(attn_sub_norm(attention(rope(qkv(input_layernorm(x))))))
 *   x += down_proj(ffn_sub_norm(relu(gate)^2 * up)),  gate | up = gate_up(post_attention_layernorm(x))
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
  const norm = (x: GPUBuffer, weight: GPUBuffer, cols: number) =>
    k.norm.prepare({ x, weight, xq: b.xq, xScale: b.xScale, rows: m, cols, eps });
  const linear = (weights: LinearWeights, y: GPUBuffer, accumulate = false) =>
    weights.format === 'f32'
      ? k.denseLinear!.prepare({ weights, xq: b.xq, xScale: b.xScale, y, m, accumulate })
      : k.matmul.prepare({ weights, xq: b.xq, xScale: b.xScale, y, m, accumulate });
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
      splits: m === 1 ? p.decodeSplits : 1,
    });
  const gatedNorm = (weight: GPUBuffer) =>
    k.gatedNorm.prepare({
      x: b.gateUp,
      weight,
      xq: b.xq,
      xScale: b.xScale,
      rows: m,
      cols: c.intermediateSize,
      eps,
    });

  const d: Dispatch[] = [...k.embed.prepare({ weights: w.embedding, ids: b.ids, x: b.x, tokens: m })];
  w.layers.forEach((layer, i) => {
    d.push(...norm(b.x, layer.inputNorm, c.hiddenSize));
    d.push(...linear(layer.qkv, b.qkv));
    d.push(...attention(i));
    d.push(...norm(b.attn, layer.attnSubNorm, qDim));
    d.push(...linear(layer.o, b.x, true));
    d.push(...norm(b.x, layer.postAttentionNorm, c.hiddenSize));
    d.push(...linear(layer.gateUp, b.gateUp));
    d.push(...gatedNorm(layer.ffnSubNorm));
    d.push(...linear(layer.down, b.x, true));
  });
  if (output === 'none') return d;

  const rows = output === 'all' ? m : 1;
  d.push(
    ...k.rmsNorm.prepare({
      x: b.x,
      weight: w.finalNorm,
      y: b.hFinal,
      cols: c.hiddenSize,
      firstRow: m - rows,
      rows,
      eps,
    }),
  );
  const logits = output === 'all' ? p.buffers.allLogits() : b.logits;
  d.push(...k.lmHead.prepare({ weights: w.lmHead, h: b.hFinal, y: logits, tokens: rows }));
  const pick = { step: b.step, logits, ids: b.ids, generated: b.generated };
  if (output === 'argmax') d.push(...k.argmax.prepare({ ...pick, n: c.vocabSize, offset: 0 }));
  if (output === 'sample') d.push(...k.sample.prepare({ ...pick, sampling: b.samplerParams, seen: b.seen }));
  return d;
}
