import type { GpuContext } from '../gpu/context.ts';
import { DeviceLostError, InvalidArgumentError } from '../errors.ts';
import type { ModelFiles } from '../loader/byteSource.ts';
import { openModel } from '../loader/openModel.ts';
import { parseJsonFile } from '../untrustedJson.ts';
import type { ShardStore } from '../loader/shardStore.ts';
import { BitNetModel } from '../model/bitnetModel.ts';
import type { EmbeddingFormat } from '../weights/formats.ts';
import { ModelTokenizer, type ChatFormat } from '../tokenizer/modelTokenizer.ts';
import { TextAssembler } from './textAssembler.ts';
import { collectChatCompletion, emptyStats } from './chatCompletion.ts';
import { chatCompletionsOf, type ChatCompletions, type EngineInterface } from './engineInterface.ts';
import {
  checkPromptFits,
  normalizeChatRequest,
  normalizeGenerateRequest,
  type NormalizedSettings,
  type RequestLimits,
} from './generationRequest.ts';
import { LoadProgressReporter } from './loadProgress.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EngineStats,
  FinishReason,
  GenerateRequest,
  GenerationChunk,
  LoadProgress,
} from './types.ts';

export interface EngineOptions {
  /**
   * A Hugging Face repo id (`org/name`) or a GGUF file in one (`org/name/file.gguf`), a URL of a
   * model directory or of a .gguf file, or (in Node) a directory or .gguf file on disk
   * (resolveModelUrl lists the spellings).
   */
  model: string | ModelFiles;
  /** Called as loading goes through its phases (see LoadProgress); the last report has fraction 1. */
  onProgress?: (p: LoadProgress) => void;
  /** KV cache length (default: min(max_position_embeddings, 4096)). */
  contextLength?: number;
  /** Embedding table / lm_head on the GPU: 'int8' (default, half the bytes) or 'bf16' (as in the checkpoint). */
  embeddingFormat?: EmbeddingFormat;
  /** Cancels loading. */
  signal?: AbortSignal;
  /**
   * Hash every shard (SHA-256) each time it is read from a local folder or the cache (default
   * true; sizes are always checked). false skips that for folders you trust: 2B-4T's 1.19 GB took
   * 2.3-6.7 s to hash on a busy 2-core machine (README: Untrusted input).
   */
  verifyShardHashes?: boolean;
  /**
   * A stream that holds the engine (it has been read from) but is then left unread this long is
   * cancelled, so that a reader that forgets it (no loop, no `return()`) cannot keep every later
   * request waiting; reading it again gives a last chunk with finish reason "abort". Default 60 s.
   */
  streamIdleTimeoutMs?: number;
}

/** Engine.load's options: createEngine's, with the model's files already located. */
export type EngineLoadOptions = Omit<EngineOptions, 'model'> & {
  /** The model's name in chunks, completions and the cache (createEngine passes the resolved URL or path). */
  modelName: string;
  /** The cache the model's shards are read from and written to (none: read the files directly). */
  store?: ShardStore;
};

/** What it takes to build the engine's tokenizer again elsewhere: its files' text and the vocabulary size. */
export interface TokenizerSource {
  json: string;
  config?: string;
  vocabSize: number;
}

/**
 * A loaded model with its tokenizer, on the calling thread: OpenAI-shaped chat completions, raw
 * generation, and reuse of the KV cache for the shared prefix of consecutive requests. Requests
 * run one at a time.
 */
export class Engine implements EngineInterface {
  readonly chat: { readonly completions: ChatCompletions };
  /** The model's name as given to createEngine. */
  readonly modelName: string;
  onDeviceLost?: (error: DeviceLostError) => void;
  private readonly limits: RequestLimits;
  private cached: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private lastStats: EngineStats;
  private requestCount = 0;
  private readonly streamIdleTimeoutMs: number;
  private disposed = false;

  constructor(
    readonly gpu: GpuContext,
    readonly model: BitNetModel,
    readonly tokenizer: ModelTokenizer,
    modelName: string,
    options: Pick<EngineOptions, 'streamIdleTimeoutMs'> = {},
  ) {
    this.modelName = modelName;
    this.streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? 60_000;
    if (!(this.streamIdleTimeoutMs > 0))
      throw new InvalidArgumentError(
        `streamIdleTimeoutMs must be a positive number of milliseconds, got ${this.streamIdleTimeoutMs}`,
      );
    this.chat = { completions: chatCompletionsOf(this) };
    this.limits = {
      contextLength: model.contextLength,
      maxCharsPerToken: tokenizer.maxCharsPerToken,
      vocabSize: model.config.vocabSize,
    };
    this.lastStats = emptyStats(gpu.caps.adapterName);
    // the model fails the request in flight and every later one; this tells the application at once
    gpu.device.lost.then((info) => {
      if (!this.disposed) this.onDeviceLost?.(new DeviceLostError(info.reason, info.message));
    });
  }

  /**
   * Loads a model from `files` onto `gpu`: our sharded format, a Hugging Face checkpoint or a GGUF
   * file, through `store` (a cache: downloads happen once) when given. Resolves once every kernel
   * has run, so the first request does not wait for compilation.
   */
  static async load(gpu: GpuContext, files: ModelFiles, options: EngineLoadOptions): Promise<Engine> {
    return (await loadEngine(gpu, files, options)).engine;
  }

  get adapter(): string {
    return this.gpu.caps.adapterName;
  }

  get chatFormat(): ChatFormat {
    return this.tokenizer.chatFormat;
  }

  stats(): EngineStats {
    return { ...this.lastStats };
  }

  /**
   * Raw generation from text or token ids, as an async iterable of chunks (the last carries
   * finishReason). The request is checked before this returns (InvalidArgumentError, ContextOverflowError).
   */
  generate(request: GenerateRequest): AsyncIterable<GenerationChunk> {
    const { prompt, settings } = normalizeGenerateRequest(request, this.limits);
    const ids = 'tokens' in prompt ? prompt.tokens : this.tokenizer.encode(prompt.text);
    checkPromptFits(ids.length, settings, this.limits);
    return this.exclusive(() => this.run(ids, settings));
  }

  createChatCompletion(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  createChatCompletion(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  createChatCompletion(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  async createChatCompletion(
    request: ChatCompletionRequest,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    const { messages, stream: streamed, settings } = normalizeChatRequest(request, this.limits);
    const ids = this.tokenizer.encodeChat(messages);
    checkPromptFits(ids.length, settings, this.limits);
    const id = `chatcmpl-${Date.now().toString(36)}-${++this.requestCount}`;
    const created = Math.floor(Date.now() / 1000);
    const chunks = this.exclusive(() => this.run(ids, settings));
    const base = { id, created, model: this.modelName };
    const stream = (async function* (): AsyncGenerator<ChatCompletionChunk> {
      let first = true;
      let completion = 0;
      for await (const c of chunks) {
        if (c.token !== null) completion++;
        if (c.finishReason === null && c.text === '' && !first) continue;
        yield {
          ...base,
          object: 'chat.completion.chunk',
          choices: [
            {
              index: 0,
              delta: { ...(first ? { role: 'assistant' as const } : {}), ...(c.text ? { content: c.text } : {}) },
              finish_reason: c.finishReason,
            },
          ],
          ...(c.finishReason
            ? {
                usage: {
                  prompt_tokens: ids.length,
                  completion_tokens: completion,
                  total_tokens: ids.length + completion,
                },
              }
            : {}),
        };
        first = false;
      }
    })();
    return streamed ? stream : collectChatCompletion(stream);
  }

  /** Frees the GPU memory of the model. The engine cannot be used afterwards. */
  dispose(): void {
    this.disposed = true;
    this.model.dispose();
  }

  /**
   * Runs generators one at a time: a request waits until the previous one has finished. The turn
   * is taken when iteration starts, so a stream nobody reads never blocks the next request; one
   * left unread for streamIdleTimeoutMs while it holds the turn is cancelled and gives it back.
   */
  private async *exclusive(make: () => AsyncGenerator<GenerationChunk>): AsyncGenerator<GenerationChunk> {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((r) => (release = r));
    await previous;
    const inner = make();
    let idle = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (true) {
        const step = await inner.next();
        if (step.done) return;
        timer = setTimeout(() => {
          idle = true;
          void inner.return(undefined).finally(release); // stops the GPU work and leaves the KV cache consistent
        }, this.streamIdleTimeoutMs);
        yield step.value;
        clearTimeout(timer);
        if (idle) {
          yield { token: null, text: '', finishReason: 'abort' };
          return;
        }
      }
    } finally {
      clearTimeout(timer);
      if (!idle) {
        await inner.return(undefined);
        release();
      }
    }
  }

  /** Runs a checked request (see generationRequest.ts) whose prompt fits the context. */
  private async *run(prompt: number[], settings: NormalizedSettings): AsyncGenerator<GenerationChunk> {
    const { maxTokens, sampling, signal } = settings;
    // Reuse the cached prefix; at least one prompt token must run to produce logits.
    let reuse = 0;
    while (reuse < Math.min(this.cached.length, prompt.length - 1) && this.cached[reuse] === prompt[reuse]) reuse++;
    this.model.truncate(Math.min(reuse, this.model.position));
    reuse = this.model.position;
    const stopIds = [
      ...new Set([...this.model.config.eosTokenIds, ...this.tokenizer.stopIds, ...settings.stopTokenIds]),
    ];
    const text = new TextAssembler((ids) => this.tokenizer.decode(ids), settings.stop);
    const generated: number[] = [];
    const t0 = performance.now();
    let tFirst = 0;
    let finish: FinishReason = 'length';
    let stoppedByString = false;
    if (signal?.aborted) {
      yield { token: null, text: '', finishReason: 'abort' };
      return;
    }
    const stream = this.model.stream(prompt.slice(reuse), maxTokens, { sampling, stopIds, penaltyTokens: prompt });
    try {
      for await (const id of stream) {
        if (generated.length === 0) tFirst = performance.now();
        generated.push(id);
        if (stopIds.includes(id)) {
          finish = 'stop';
          break;
        }
        const step = text.push(id);
        if (step.stopped) {
          if (step.text) yield { token: id, text: step.text, finishReason: null };
          finish = 'stop';
          stoppedByString = true;
          break;
        }
        yield { token: id, text: step.text, finishReason: null };
        if (signal?.aborted) {
          finish = 'abort';
          break;
        }
      }
    } finally {
      await stream.return();
      this.cached = [...prompt, ...generated].slice(0, this.model.position);
      const tEnd = performance.now();
      const prefillMs = (tFirst || tEnd) - t0;
      this.lastStats = {
        adapter: this.gpu.caps.adapterName,
        promptTokens: prompt.length,
        cachedTokens: reuse,
        completionTokens: generated.length,
        timeToFirstTokenMs: prefillMs,
        prefillTokensPerSecond: ((prompt.length - reuse) / prefillMs) * 1000,
        decodeTokensPerSecond: generated.length > 1 ? ((generated.length - 1) / (tEnd - tFirst)) * 1000 : 0,
      };
    }
    // Text held back as a possible stop-string prefix is the reply's own, unless a stop string matched.
    const rest = stoppedByString ? '' : text.flush();
    yield { token: null, text: rest, finishReason: finish };
  }
}

/** An engine with the source of its tokenizer. */
export interface LoadedEngine {
  engine: Engine;
  tokenizerSource: TokenizerSource;
}

/**
 * Engine.load, also returning what the engine's tokenizer was built from. Internal (the package does
 * not export it): the worker sends the source to the page, which builds its own tokenizer from it.
 */
export async function loadEngine(
  gpu: GpuContext,
  files: ModelFiles,
  options: EngineLoadOptions,
): Promise<LoadedEngine> {
  const progress = new LoadProgressReporter((p) => options.onProgress?.(p));
  const opened = await openModel(files, {
    store: options.store,
    cacheKey: options.modelName,
    signal: options.signal,
    onProgress: (p) => progress.update(p),
    verifyShardHashes: options.verifyShardHashes,
  });
  const tokenizerJson = await opened.readTokenizerFile('tokenizer.json');
  if (tokenizerJson === undefined)
    throw new InvalidArgumentError(`${files.location} has no tokenizer.json: the engine needs the model's tokenizer`);
  const tokenizerConfig = await opened.readTokenizerFile('tokenizer_config.json');
  const vocabSize = opened.source.config.vocabSize;
  const tokenizer = new ModelTokenizer(
    parseJsonFile(tokenizerJson, 'tokenizer.json'),
    tokenizerConfig === undefined ? {} : parseJsonFile(tokenizerConfig, 'tokenizer_config.json'),
    vocabSize,
  );
  options.signal?.throwIfAborted();
  const model = await BitNetModel.load(gpu, opened.source, {
    contextLength: options.contextLength,
    embeddingFormat: options.embeddingFormat,
    onProgress: (p) => progress.update(p),
  });
  try {
    options.signal?.throwIfAborted();
    await model.warmUp((done, total) => progress.update({ phase: 'warmup', done, total }));
  } catch (err) {
    model.dispose();
    throw err;
  }
  return {
    engine: new Engine(gpu, model, tokenizer, options.modelName, options),
    tokenizerSource: { json: tokenizerJson, config: tokenizerConfig, vocabSize },
  };
}
