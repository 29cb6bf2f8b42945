import type { GpuContext } from '../gpu/context.ts';
import { readBuffer } from '../gpu/buffers.ts';
import { DisposedError, InvalidArgumentError } from '../errors.ts';
import { withAllocationErrors } from '../gpu/errorScopes.ts';
import type { GemmLayout, GemvLayout, TernaryDotVariant } from '../kernels/ternaryMatmul.ts';
import { GREEDY, type SamplingParams } from '../kernels/sample.ts';
import type { ModelTensorSource } from './tensorPlan.ts';
import type { EmbeddingFormat, LinearFormat } from '../weights/formats.ts';
import type { BitNetConfig } from './config.ts';
import { describeModel, type ModelDescription } from './description.ts';
import { uploadModelWeights, destroyModelWeights, type ModelWeights } from './modelWeights.ts';
import { compileModelKernels, type ModelKernels } from './modelKernels.ts';
import { ModelBuffers, planBuffers } from './bufferPlan.ts';
import { PassRunner } from './passRunner.ts';
import { DecodeLoop } from './decodeLoop.ts';
import { DeviceLossWatch } from './deviceLoss.ts';
import { passProfiling, type PassProfiling } from './passProfiling.ts';
import { checkGeneration, checkLoadOptions, checkTokens, type CacheLimits } from './inputChecks.ts';

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
   * Decode steps run the one-token kernels: each BitLinear with its input's RMSNorm and
   * quantization in the same dispatch (normQuantizeGemv.wgsl: about half the dispatches of a step),
   * and attention over subgroups (attentionDecode.wgsl). Defaults to on for GPU adapters with
   * subgroups and dot4I8Packed; true on an adapter without them is an InvalidArgumentError.
   */
  fusedDecode?: boolean;
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

export interface StreamOptions {
  /**
   * How tokens are chosen; default greedy. Used as given: users' settings are checked by the engine
   * (engine/generationRequest.ts).
   */
  sampling?: SamplingParams;
  /** Stop after any of these ids (it is yielded); default: the config's eos ids. */
  stopIds?: readonly number[];
  /** Tokens the repetition penalty counts as seen (default: the prompt); generated ones are added on the GPU. */
  penaltyTokens?: readonly number[];
  /** Decode steps submitted ahead of the one being read back (default 4). */
  lookahead?: number;
}

/** GPU memory held by a loaded model, in bytes. */
export interface ModelMemory {
  weights: number;
  kvCache: number;
  activations: number;
}

/**
 * A BitNet b1.58 model on the GPU with its KV cache. Composes the weights, the kernels, the
 * buffers of its plan (bufferPlan.ts), the schedule's passes (passRunner.ts, schedule.ts), the
 * decode loop (decodeLoop.ts) and the device-loss watch (deviceLoss.ts).
 * Tokens are appended at `position`; `truncate` rewinds (a shared chat prefix stays cached).
 */
export class BitNetModel {
  readonly config: BitNetConfig;
  readonly contextLength: number;
  readonly prefillChunk: number;
  readonly variant: TernaryDotVariant;
  /** Whether decode steps use the fused linears (BitNetModelOptions.fusedDecode). */
  readonly fusedDecode: boolean;
  /** For profiling tools: the passes as dispatch lists (passProfiling.ts). */
  readonly profiling: PassProfiling;

  private readonly device: GPUDevice;
  private readonly buffers: ModelBuffers;
  private readonly runner: PassRunner;
  private readonly decodeLoop: DecodeLoop;
  private readonly deviceLoss: DeviceLossWatch;
  private readonly memory: ModelMemory;
  private disposed = false;

  private constructor(
    ctx: GpuContext,
    readonly weights: ModelWeights,
    config: BitNetConfig,
    readonly description: ModelDescription,
    options: BitNetModelOptions & { contextLength: number },
    kernels: ModelKernels,
  ) {
    this.config = config;
    const device = (this.device = ctx.device);
    this.deviceLoss = new DeviceLossWatch(device);
    this.contextLength = options.contextLength;
    this.prefillChunk = Math.min(options.prefillChunk ?? 256, this.contextLength);
    this.variant = kernels.matmul.variant;
    this.fusedDecode = kernels.decodeLinears !== undefined;
    const plan = planBuffers(description, {
      contextLength: this.contextLength,
      prefillChunk: this.prefillChunk,
      decodeSplits: kernels.attention.maxSplits,
    });
    const buffers = (this.buffers = new ModelBuffers(device, plan));
    this.runner = new PassRunner(device, this.prefillChunk, { description, weights, kernels, buffers }, () =>
      this.checkUsable(),
    );
    this.decodeLoop = new DecodeLoop(
      device,
      this.runner,
      { params: buffers.working.samplerParams, seen: buffers.working.seen, vocabSize: description.vocabSize },
      (work) => this.whileDeviceAlive(work),
    );
    this.profiling = passProfiling(this.runner);
    const { kvCache, working } = buffers.bytes();
    this.memory = { weights: weights.bytes, kvCache, activations: working };
  }

  /** Uploads the weights from `source`, compiles the kernels and allocates the KV cache and working buffers. */
  static async load(
    ctx: GpuContext,
    source: ModelTensorSource,
    options: BitNetModelOptions = {},
  ): Promise<BitNetModel> {
    const c = source.config;
    const contextLength = checkLoadOptions(options, c.maxPositionEmbeddings);
    const description = describeModel(c);
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
        description,
        {
          ...options,
          embeddingFormat: uploaded.embedding.format,
          lmHeadFormat: uploaded.lmHead.format,
          contextLength,
        },
        (done, total) => options.onProgress?.({ phase: 'compile', done, total }),
      );
      await withAllocationErrors(ctx.device, what, allocated, async () => {
        model = new BitNetModel(ctx, uploaded, c, description, { ...options, contextLength }, kernels);
      });
    } catch (err) {
      if (model) model.dispose();
      else if (weights) destroyModelWeights(weights);
      throw err;
    }
    return model!;
  }

  /** Tokens currently in the KV cache. */
  get position(): number {
    return this.runner.position;
  }

  gpuMemory(): ModelMemory {
    return { ...this.memory };
  }

  /** Forgets cached tokens after the first `length` (for reusing a shared prefix). */
  truncate(length: number): void {
    if (!(Number.isInteger(length) && length >= 0 && length <= this.position)) {
      throw new InvalidArgumentError(`truncate(${length}): the cache holds ${this.position} tokens`);
    }
    this.runner.position = length;
  }

  reset(): void {
    this.runner.position = 0;
  }

  /** Appends `ids` to the cache and returns the logits of the last token ([vocab]) or of every token ([ids.length, vocab]). */
  async logits(ids: readonly number[], which: 'last' | 'all' = 'last'): Promise<Float32Array> {
    this.checkUsable();
    checkTokens(ids, 0, this.cacheLimits());
    const V = this.config.vocabSize;
    const out = new Float32Array(which === 'all' ? ids.length * V : V);
    for (let start = 0; start < ids.length; start += this.prefillChunk) {
      const chunk = ids.slice(start, start + this.prefillChunk);
      const isLast = start + chunk.length === ids.length;
      if (which === 'last' && !isLast) {
        this.runner.run(chunk, 'none');
        continue;
      }
      this.runner.run(chunk, which);
      if (which === 'all') {
        const bytes = chunk.length * V * 4;
        out.set(
          new Float32Array(await this.whileDeviceAlive(readBuffer(this.device, this.buffers.allLogits(), bytes))),
          start * V,
        );
      } else {
        out.set(
          new Float32Array(await this.whileDeviceAlive(readBuffer(this.device, this.buffers.working.logits, V * 4))),
        );
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
    checkGeneration(prompt, maxTokens, this.cacheLimits());
    const sampling = options.sampling ?? GREEDY;
    yield* this.decodeLoop.stream(prompt, maxTokens, {
      sampling,
      stopIds: new Set(options.stopIds ?? this.config.eosTokenIds),
      penaltyTokens: options.penaltyTokens,
      lookahead: options.lookahead,
    });
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
    this.buffers.destroy();
    this.decodeLoop.destroy();
  }

  private cacheLimits(): CacheLimits {
    return {
      vocabSize: this.config.vocabSize,
      position: this.position,
      contextLength: this.contextLength,
      maxPositionEmbeddings: this.config.maxPositionEmbeddings,
    };
  }

  private checkUsable(): void {
    this.deviceLoss.check();
    if (this.disposed)
      throw new DisposedError(
        'the model was disposed (its GPU memory is freed): load it again with createEngine or BitNetModel.load',
      );
  }

  /** Awaits a read-back; fails with DeviceLostError if the device is lost meanwhile (deviceLoss.ts). */
  private whileDeviceAlive<T>(work: Promise<T>): Promise<T> {
    return this.deviceLoss.whileAlive(work, () => this.checkUsable());
  }
}
