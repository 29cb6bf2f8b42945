import type { GpuContext } from '../gpu/context.ts';
import { createStorageBuffer, createUniformBuffer, readBuffer } from '../gpu/buffers.ts';
import { recordPass, type Dispatch } from '../gpu/computeKernel.ts';
import { ContextOverflowError, DeviceLostError, DisposedError, InvalidArgumentError } from '../errors.ts';
import { withAllocationErrors } from '../gpu/errorScopes.ts';
import { activationWordsFor } from '../kernels/ternaryLayout.ts';
import type { GemmLayout, GemvLayout, TernaryDotVariant } from '../kernels/ternaryMatmul.ts';
import { MAX_SPLITS, attentionScratchBytes } from '../kernels/attention.ts';
import { GREEDY, isGreedy, samplingUniform, type SamplingParams } from '../kernels/sample.ts';
import type { ModelTensorSource } from '../loader/tensorSource.ts';
import type { BitNetConfig } from './config.ts';
import {
  uploadModelWeights,
  destroyModelWeights,
  type LinearFormat,
  type LinearWeights,
  type ModelWeights,
} from './modelWeights.ts';
import { compileModelKernels, type ModelKernels } from './modelKernels.ts';
import type { EmbeddingFormat } from '../kernels/embeddingWeights.ts';
import { ropeTable } from './ropeTable.ts';

export interface BitNetModelOptions {
  /** Tokens the KV cache holds; defaults to min(max_position_embeddings, 4096). */
  contextLength?: number;
  /** Prompt tokens per prefill pass; longer prompts run in several passes. */
  prefillChunk?: number;
  /** Ternary dot-product variant; defaults to the fastest the adapter supports. */
  variant?: TernaryDotVariant;
  /** GEMV work split; defaults to one invocation per row on CPU adapters, lanes per row on GPUs. */
  gemvLayout?: GemvLayout;
  /** Prefill GEMM work split; defaults to one invocation per row on CPU adapters, tiles on GPUs. */
  gemmLayout?: GemmLayout;
  /**
   * 'f32' places the linear layers dequantized to f32: the dense baseline of the benchmarks (the
   * same results and schedule, 16x the weight bytes). Default 'ternary'.
   */
  linearFormat?: LinearFormat;
  /**
   * The embedding table and lm_head on the GPU: 'int8' (default; a scale per 64 columns, half the
   * bytes; the default model's perplexity 53.023 against 53.025 in bf16: docs/benchmarks.md) or
   * 'bf16' as in the checkpoint.
   */
  embeddingFormat?: EmbeddingFormat;
  onProgress?: (p: ModelLoadProgress) => void;
}

/** Where BitNetModel.load is: `upload`, tensors placed on the GPU; `compile`, kernel families compiled. */
export interface ModelLoadProgress {
  phase: 'upload' | 'compile';
  done: number;
  total: number;
}

/**
 * What a pass ends with: nothing (a prompt chunk before the last: only the KV cache is wanted),
 * logits of the last token or of every token, or the next token chosen on the GPU.
 */
export type PassOutput = 'none' | 'last' | 'all' | 'argmax' | 'sample';

export interface StreamOptions {
  /** How tokens are chosen; default greedy. */
  sampling?: SamplingParams;
  /** Stop after any of these ids (it is yielded); default: the config's eos ids. */
  stopIds?: readonly number[];
  /** Tokens the repetition penalty counts as seen (default: the prompt); generated ones are added on the GPU. */
  penaltyTokens?: readonly number[];
  /** Decode steps submitted ahead of the one being read back (default 4). */
  lookahead?: number;
}

/** Ring of 4-byte read-back buffers: one per decode step in flight. */
const READBACK_SLOTS = 8;

function checkSampling(s: SamplingParams): void {
  const bad = (field: string, rule: string, v: number) => {
    throw new InvalidArgumentError(`sampling.${field} ${rule}, got ${v}`);
  };
  // the sampler sees float32: a value must keep its meaning there (1e-50 is 0, 0.999999999 is 1)
  if (!(Number.isFinite(s.temperature) && s.temperature >= 0)) bad('temperature', 'must be >= 0', s.temperature);
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) bad('topK', 'must be a non-negative integer', s.topK);
  if (!(s.topP <= 1 && Math.fround(s.topP) > 0)) bad('topP', 'must be in (0, 1] (and not 0 as a float32)', s.topP);
  if (!(s.minP >= 0 && Math.fround(s.minP) < 1)) bad('minP', 'must be in [0, 1) (and not 1 as a float32)', s.minP);
  // beyond these, penalized logits divided by a small temperature approach float32's range
  if (!(s.repetitionPenalty >= 0.01 && s.repetitionPenalty <= 100))
    bad('repetitionPenalty', 'must be in [0.01, 100] (1: off)', s.repetitionPenalty);
  if (!(Number.isInteger(s.seed) && s.seed >= 0 && s.seed < 2 ** 32))
    bad('seed', 'must be an integer in [0, 2^32)', s.seed);
}

/**
 * Key spans per head in a decode step's attention: one 64-key tile per workgroup while the cache
 * allows (a decode step has only kvHeads x splits workgroups, and with 3 splits the 2B-4T shape
 * left most of an H100 idle: 63 us per layer).
 */
function decodeSplitsFor(contextLength: number): number {
  return Math.min(MAX_SPLITS, Math.max(1, Math.ceil(contextLength / 64)));
}

/** GPU memory held by a loaded model, in bytes. */
export interface ModelMemory {
  weights: number;
  kvCache: number;
  activations: number;
}

/**
 * A BitNet b1.58 model on the GPU with its KV cache: the per-token schedule.
 * Tokens are appended at `position`; `truncate` rewinds (a shared chat prefix stays cached).
 */
export class BitNetModel {
  readonly config: BitNetConfig;
  readonly contextLength: number;
  readonly prefillChunk: number;
  readonly variant: TernaryDotVariant;
  /** Key spans per head in a decode step's attention: more workgroups when the context is long. */
  private readonly decodeSplits: number;
  /** Tokens currently in the KV cache. */
  position = 0;

  private readonly device: GPUDevice;
  private readonly buf: Record<
    | 'ids'
    | 'generated'
    | 'step'
    | 'samplerParams'
    | 'seen'
    | 'attnScratch'
    | 'x'
    | 'qkv'
    | 'attn'
    | 'gateUp'
    | 'xq'
    | 'xScale'
    | 'hFinal'
    | 'logits'
    | 'ropeCos'
    | 'ropeSin',
    GPUBuffer
  >;
  private readonly kv: { k: GPUBuffer; v: GPUBuffer }[];
  private readonly passes = new Map<string, Dispatch[]>();
  private readonly readbackSlots: GPUBuffer[];
  private allLogits?: GPUBuffer;
  private readonly memory: ModelMemory;
  /** Set once the device is lost: every later call fails fast with DeviceLostError. */
  private lost?: GPUDeviceLostInfo;
  private readonly pendingReads = new Set<(info: GPUDeviceLostInfo) => void>();
  private disposed = false;

  private constructor(
    ctx: GpuContext,
    readonly weights: ModelWeights,
    config: BitNetConfig,
    options: BitNetModelOptions & { contextLength: number },
    private readonly kernels: ModelKernels,
  ) {
    const c = (this.config = config);
    const device = (this.device = ctx.device);
    device.lost.then((info) => {
      this.lost = info;
      for (const fail of this.pendingReads) fail(info);
    });
    this.contextLength = options.contextLength;
    this.prefillChunk = Math.min(options.prefillChunk ?? 256, this.contextLength);
    this.variant = kernels.matmul.variant;
    this.decodeSplits = decodeSplitsFor(this.contextLength);
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const T = this.prefillChunk;
    const rope = ropeTable(c.ropeTheta, c.headDim, this.contextLength);
    const f32 = (label: string, n: number) => createStorageBuffer(device, label, n * 4);
    this.buf = {
      ids: f32('ids', T),
      generated: f32('generated', this.contextLength),
      step: createUniformBuffer(device, 'step', new Uint32Array(4)),
      samplerParams: createUniformBuffer(device, 'samplerParams', samplingUniform(c.vocabSize, GREEDY)),
      seen: f32('seen', Math.ceil(c.vocabSize / 32)),
      x: f32('x', T * c.hiddenSize),
      qkv: f32('qkv', T * (qDim + 2 * kvDim)),
      attn: f32('attn', T * qDim),
      gateUp: f32('gateUp', T * 2 * c.intermediateSize),
      xq: f32('xq', T * activationWordsFor(Math.max(c.hiddenSize, qDim, c.intermediateSize))),
      xScale: f32('xScale', T),
      hFinal: f32('hFinal', T * c.hiddenSize),
      logits: f32('logits', c.vocabSize),
      attnScratch: createStorageBuffer(
        device,
        'attnScratch',
        Math.max(
          attentionScratchBytes(this.kernels.attention.shape, T, 1),
          attentionScratchBytes(this.kernels.attention.shape, 1, this.decodeSplits),
        ),
      ),
      ropeCos: createStorageBuffer(device, 'ropeCos', rope.cos),
      ropeSin: createStorageBuffer(device, 'ropeSin', rope.sin),
    };
    this.readbackSlots = Array.from({ length: READBACK_SLOTS }, (_, i) =>
      device.createBuffer({ label: `readback${i}`, size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
    this.kv = c.numLayers
      ? Array.from({ length: c.numLayers }, (_, i) => ({
          k: f32(`k${i}`, this.contextLength * kvDim),
          v: f32(`v${i}`, this.contextLength * kvDim),
        }))
      : [];
    const activations = Object.values(this.buf).reduce((n, b) => n + b.size, 0);
    this.memory = { weights: weights.bytes, kvCache: 2 * c.numLayers * this.contextLength * kvDim * 4, activations };
  }

  /** Uploads the weights from `source`, compiles the kernels and allocates the KV cache and working buffers. */
  static async load(
    ctx: GpuContext,
    source: ModelTensorSource,
    options: BitNetModelOptions = {},
  ): Promise<BitNetModel> {
    const c = source.config;
    const contextLength = options.contextLength ?? Math.min(c.maxPositionEmbeddings, 4096);
    if (!(Number.isInteger(contextLength) && contextLength > 0 && contextLength <= c.maxPositionEmbeddings)) {
      throw new InvalidArgumentError(
        `contextLength ${contextLength} must be an integer in 1..${c.maxPositionEmbeddings} (max_position_embeddings)`,
      );
    }
    // the upload picks a format by comparing with one name, so anything else would silently pick the other
    const oneOf = (field: string, value: string | undefined, allowed: readonly string[]) => {
      if (value !== undefined && !allowed.includes(value))
        throw new InvalidArgumentError(
          `${field} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`,
        );
    };
    oneOf('linearFormat', options.linearFormat, ['ternary', 'f32']);
    oneOf('embeddingFormat', options.embeddingFormat, ['int8', 'bf16']);
    let weights: ModelWeights | undefined;
    let model: BitNetModel | undefined;
    const allocated = () => (model ? Object.values(model.memory).reduce((a, b) => a + b, 0) : (weights?.bytes ?? 0));
    const what = `placing the model on the GPU (context ${contextLength})`;
    try {
      const uploaded = await withAllocationErrors(ctx.device, what, allocated, async () => {
        weights = await uploadModelWeights(ctx.device, source, (p) => options.onProgress?.({ phase: 'upload', ...p }), {
          linear: options.linearFormat,
          embedding: options.embeddingFormat,
        });
        return weights;
      });
      const kernels = await compileModelKernels(
        ctx,
        c,
        {
          ...options,
          embeddingFormat: uploaded.embedding.format,
          lmHeadFormat: uploaded.lmHead.format,
          decodeSplits: decodeSplitsFor(contextLength),
        },
        (done, total) => options.onProgress?.({ phase: 'compile', done, total }),
      );
      await withAllocationErrors(ctx.device, what, allocated, async () => {
        model = new BitNetModel(ctx, uploaded, c, { ...options, contextLength }, kernels);
      });
    } catch (err) {
      if (model) model.dispose();
      else if (weights) destroyModelWeights(weights);
      throw err;
    }
    return model!;
  }

  gpuMemory(): ModelMemory {
    return { ...this.memory };
  }

  /** Compute dispatches in one pass of m tokens (a decode step is m = 1, ending in 'argmax'). */
  dispatchCount(m: number, output: PassOutput): number {
    return this.dispatches(m, output).length;
  }

  /** The recorded dispatches of a pass, for profiling tools; replaying them alone skips the step uniform. */
  passDispatches(m: number, output: PassOutput): readonly Dispatch[] {
    return this.dispatches(m, output);
  }

  /** Forgets cached tokens after the first `length` (for reusing a shared prefix). */
  truncate(length: number): void {
    if (!(Number.isInteger(length) && length >= 0 && length <= this.position)) {
      throw new InvalidArgumentError(`truncate(${length}): the cache holds ${this.position} tokens`);
    }
    this.position = length;
  }

  reset(): void {
    this.position = 0;
  }

  /** Appends `ids` to the cache and returns the logits of the last token ([vocab]) or of every token ([ids.length, vocab]). */
  async logits(ids: readonly number[], which: 'last' | 'all' = 'last'): Promise<Float32Array> {
    this.checkUsable();
    this.checkTokens(ids, 0);
    const V = this.config.vocabSize;
    const out = new Float32Array(which === 'all' ? ids.length * V : V);
    for (let start = 0; start < ids.length; start += this.prefillChunk) {
      const chunk = ids.slice(start, start + this.prefillChunk);
      const isLast = start + chunk.length === ids.length;
      if (which === 'last' && !isLast) {
        this.runPass(chunk, 'none');
        continue;
      }
      this.runPass(chunk, which);
      if (which === 'all') {
        out.set(
          new Float32Array(await this.whileDeviceAlive(readBuffer(this.device, this.allLogits!, chunk.length * V * 4))),
          start * V,
        );
      } else {
        out.set(new Float32Array(await this.whileDeviceAlive(readBuffer(this.device, this.buf.logits, V * 4))));
      }
    }
    return out;
  }

  /**
   * Appends `prompt` to the cache and yields up to `maxTokens` new token ids, stopping after a stop id.
   * Each decode step is one submission; the chosen token goes from the sampler to the next step's
   * embedding lookup on the GPU, and `lookahead` steps are kept in flight while ids are read back.
   * Breaking out of the loop (or an AbortSignal in the caller) leaves the cache consistent.
   */
  async *stream(
    prompt: readonly number[],
    maxTokens: number,
    options: StreamOptions = {},
  ): AsyncGenerator<number, void, void> {
    // before any GPU call: a destroyed buffer in a write would be reported by WebGPU as well
    this.checkUsable();
    if (!(Number.isInteger(maxTokens) && maxTokens > 0))
      throw new InvalidArgumentError(`maxTokens must be a positive integer, got ${maxTokens}`);
    if (prompt.length === 0)
      throw new InvalidArgumentError('the prompt is empty: give at least one token (usually BOS)');
    this.checkTokens(prompt, maxTokens - 1);
    const sampling = options.sampling ?? GREEDY;
    checkSampling(sampling);
    const output: PassOutput = isGreedy(sampling) ? 'argmax' : 'sample';
    if (output === 'sample') {
      this.device.queue.writeBuffer(this.buf.samplerParams, 0, samplingUniform(this.config.vocabSize, sampling));
      const seen = new Uint32Array(Math.ceil(this.config.vocabSize / 32));
      for (const id of options.penaltyTokens ?? prompt) seen[id >>> 5] |= 1 << (id & 31);
      this.device.queue.writeBuffer(this.buf.seen, 0, seen);
    }
    const stop = new Set(options.stopIds ?? this.config.eosTokenIds);
    const lookahead = Math.max(1, Math.min(options.lookahead ?? 4, READBACK_SLOTS - 1));
    const firstPosition = this.position + prompt.length;
    for (let start = 0; start < prompt.length; start += this.prefillChunk) {
      const chunk = prompt.slice(start, start + this.prefillChunk);
      const last = start + chunk.length === prompt.length;
      this.runPass(chunk, last ? output : 'none', 0, last ? 0 : undefined);
    }
    let submitted = 1;
    let yielded = 0;
    try {
      while (yielded < maxTokens) {
        for (; submitted < Math.min(maxTokens, yielded + 1 + lookahead); submitted++)
          this.runPass(null, output, submitted, submitted);
        const id = await this.readGenerated(yielded);
        yielded++;
        yield id;
        if (stop.has(id)) return;
      }
    } finally {
      // The cache holds the prompt and every consumed token but the last; steps run ahead are dropped.
      this.position = firstPosition + Math.max(yielded - 1, 0);
    }
  }

  /** Greedy (or sampled) tokens as an array: `stream` collected. */
  async generate(prompt: readonly number[], maxTokens: number, options: StreamOptions = {}): Promise<number[]> {
    const out: number[] = [];
    for await (const id of this.stream(prompt, maxTokens, options)) out.push(id);
    return out;
  }

  /** Greedy decoding through the KV cache (see `stream`). */
  generateGreedy(
    prompt: readonly number[],
    maxTokens: number,
    options: { stopIds?: readonly number[] } = {},
  ): Promise<number[]> {
    return this.generate(prompt, maxTokens, { ...options, sampling: GREEDY });
  }

  /**
   * Runs every kernel a request uses once, on dummy tokens: a two-token prompt pass ending in
   * argmax, then a one-token pass ending in sampling (the decode step's kernels). Some drivers
   * compile a pipeline only when it first runs (lavapipe: 7 s for the sampler), and Dawn clears
   * each buffer on its first use; both happen here instead of in the first request. The cache is
   * empty again afterwards. `onPass(done, total)` follows each pass.
   */
  async warmUp(onPass?: (done: number, total: number) => void): Promise<void> {
    this.reset();
    const passes: { prompt: number[]; sampling: SamplingParams }[] = [
      { prompt: [0, 0], sampling: GREEDY },
      { prompt: [0], sampling: { ...GREEDY, temperature: 1 } },
    ];
    try {
      for (const [i, { prompt, sampling }] of passes.entries()) {
        await this.generate(prompt, 1, { sampling, stopIds: [] });
        onPass?.(i + 1, passes.length);
      }
    } finally {
      this.reset();
    }
  }

  /** Frees all GPU memory of the model (weights, KV cache, working buffers). */
  dispose(): void {
    this.disposed = true;
    destroyModelWeights(this.weights);
    for (const b of [...Object.values(this.buf), ...this.readbackSlots]) b.destroy();
    for (const { k, v } of this.kv) {
      k.destroy();
      v.destroy();
    }
    this.allLogits?.destroy();
  }

  private checkTokens(ids: readonly number[], extra: number): void {
    const V = this.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new InvalidArgumentError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
    }
    const needed = this.position + ids.length + extra;
    if (needed > this.contextLength) {
      throw new ContextOverflowError(
        `${this.position} cached + ${ids.length} new + ${extra} generated = ${needed} tokens exceed the context of ${this.contextLength}` +
          (this.contextLength < this.config.maxPositionEmbeddings
            ? ` (the model allows ${this.config.maxPositionEmbeddings}; load it with a larger contextLength)`
            : ''),
      );
    }
  }

  /** Runs one pass over `ids` (or, for null, the token argmax left on the GPU) at the current position. */
  private runPass(ids: readonly number[] | null, output: PassOutput, genIndex = 0, readback?: number): void {
    this.checkUsable();
    const m = ids ? ids.length : 1;
    const { device } = this;
    if (ids) device.queue.writeBuffer(this.buf.ids, 0, new Uint32Array(ids));
    device.queue.writeBuffer(this.buf.step, 0, new Uint32Array([this.position, genIndex, 0, 0]));
    const encoder = device.createCommandEncoder();
    recordPass(encoder, this.dispatches(m, output));
    if (readback !== undefined)
      encoder.copyBufferToBuffer(this.buf.generated, genIndex * 4, this.readbackSlots[readback % READBACK_SLOTS], 0, 4);
    device.queue.submit([encoder.finish()]);
    this.position += m;
  }

  /** The id generated at step `index`, from its read-back slot (filled by the step's own submission). */
  private async readGenerated(index: number): Promise<number> {
    const slot = this.readbackSlots[index % READBACK_SLOTS];
    await this.whileDeviceAlive(slot.mapAsync(GPUMapMode.READ));
    const id = new Uint32Array(slot.getMappedRange())[0];
    slot.unmap();
    return id;
  }

  private checkUsable(): void {
    if (this.lost) throw new DeviceLostError(this.lost.reason, this.lost.message);
    if (this.disposed)
      throw new DisposedError(
        'the model was disposed (its GPU memory is freed): load it again with createEngine or BitNetModel.load',
      );
  }

  /**
   * Awaits a read-back. A lost device rejects pending maps with a bare AbortError in Dawn and may
   * leave them pending in Chromium: either way the read fails with DeviceLostError.
   */
  private whileDeviceAlive<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.checkUsable();
      const onLost = (info: GPUDeviceLostInfo) => reject(new DeviceLostError(info.reason, info.message));
      this.pendingReads.add(onLost);
      work.then(resolve, async (err) => {
        // `lost` may settle just after the map is rejected
        await new Promise((r) => setTimeout(r, 100));
        if (this.lost) onLost(this.lost);
        reject(err);
      });
      work.finally(() => this.pendingReads.delete(onLost)).catch(() => {});
    });
  }

  /** The recorded schedule for a pass of m tokens, built once per (m, output) and replayed. */
  private dispatches(m: number, output: PassOutput): Dispatch[] {
    const key = `${m}:${output}`;
    let list = this.passes.get(key);
    if (list) return list;
    if (this.passes.size >= 8) this.passes.clear();
    list = this.buildPass(m, output);
    this.passes.set(key, list);
    return list;
  }

  private buildPass(m: number, output: PassOutput): Dispatch[] {
    const c = this.config;
    const k = this.kernels;
    const b = this.buf;
    const w = this.weights;
    const qDim = c.numHeads * c.headDim;
    const eps = c.rmsNormEps;
    const d: Dispatch[] = [...k.embed.prepare({ weights: w.embedding, ids: b.ids, x: b.x, tokens: m })];
    const norm = (x: GPUBuffer, weight: GPUBuffer, cols: number) =>
      k.norm.prepare({ x, weight, xq: b.xq, xScale: b.xScale, rows: m, cols, eps });
    const linear = (weights: LinearWeights, y: GPUBuffer, accumulate = false) =>
      weights.format === 'f32'
        ? k.denseLinear!.prepare({ weights, xq: b.xq, xScale: b.xScale, y, m, accumulate })
        : k.matmul.prepare({ weights, xq: b.xq, xScale: b.xScale, y, m, accumulate });
    w.layers.forEach((layer, i) => {
      d.push(...norm(b.x, layer.inputNorm, c.hiddenSize));
      d.push(...linear(layer.qkv, b.qkv));
      d.push(
        ...k.attention.prepare({
          step: b.step,
          qkv: b.qkv,
          kCache: this.kv[i].k,
          vCache: this.kv[i].v,
          ropeCos: b.ropeCos,
          ropeSin: b.ropeSin,
          out: b.attn,
          partial: b.attnScratch,
          tokens: m,
          splits: m === 1 ? this.decodeSplits : 1,
        }),
      );
      d.push(...norm(b.attn, layer.attnSubNorm, qDim));
      d.push(...linear(layer.o, b.x, true));
      d.push(...norm(b.x, layer.postAttentionNorm, c.hiddenSize));
      d.push(...linear(layer.gateUp, b.gateUp));
      d.push(
        ...k.gatedNorm.prepare({
          x: b.gateUp,
          weight: layer.ffnSubNorm,
          xq: b.xq,
          xScale: b.xScale,
          rows: m,
          cols: c.intermediateSize,
          eps,
        }),
      );
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
    let logits = b.logits;
    if (output === 'all') {
      const bytes = this.prefillChunk * c.vocabSize * 4;
      this.allLogits ??= createStorageBuffer(this.device, 'allLogits', bytes);
      logits = this.allLogits;
    }
    d.push(...k.lmHead.prepare({ weights: w.lmHead, h: b.hFinal, y: logits, tokens: rows }));
    const pick = { step: b.step, logits, ids: b.ids, generated: b.generated };
    if (output === 'argmax') d.push(...k.argmax.prepare({ ...pick, n: c.vocabSize, offset: 0 }));
    if (output === 'sample') d.push(...k.sample.prepare({ ...pick, sampling: b.samplerParams, seen: b.seen }));
    return d;
  }
}
