// createWorkerEngine: the engine API on the page, with the model and all GPU work in a Web Worker
// (worker.ts, workerHost.ts), spoken to through workerProtocol.ts.
import { BitNetError, DeviceLostError, DisposedError, InvalidArgumentError, WorkerError } from '../errors.ts';
import { ModelTokenizer, type ChatFormat } from '../tokenizer/modelTokenizer.ts';
import { collectChatCompletion, emptyStats } from './chatCompletion.ts';
import type { EngineOptions } from './engine.ts';
import {
  chatCompletionsOf,
  type ChatCompletions,
  type EngineInterface,
  type EngineTokenizer,
} from './engineInterface.ts';
import {
  checkPromptFits,
  normalizeChatRequest,
  normalizeGenerateRequest,
  type RequestLimits,
} from './generationRequest.ts';
import { resolveModelUrl } from './modelLocation.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EngineStats,
  GenerateRequest,
  GenerationChunk,
} from './types.ts';
import { reviveError } from './workerErrors.ts';
import type { FromWorker, LoadedMessage, ToWorker, WorkerChunk, WorkerRequest } from './workerProtocol.ts';

export interface WorkerEngineOptions extends Omit<EngineOptions, 'model'> {
  /** A Hugging Face repo id or the URL of a model directory (the worker fetches it). */
  model: string;
  /**
   * A worker running `bitnet-webgpu/worker`, for apps that create it themselves. By default the
   * package starts its own `worker.js`, found beside the module that imports it.
   */
  worker?: Worker;
}

/** What a request in flight hears from the worker. */
type RequestEvent =
  { type: 'chunk'; chunk: WorkerChunk } | { type: 'done'; stats: EngineStats } | { type: 'failed'; error: Error };

function startPackagedWorker(): Worker {
  // Written out in full: this is the form bundlers recognise to emit the worker with the app.
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}

function workerFailure(event: ErrorEvent): WorkerError {
  return new WorkerError(
    event.message
      ? `the engine worker failed: ${event.message}`
      : "the engine worker did not start: its script did not load. If your bundler does not emit bitnet-webgpu's worker.js, " +
          "start it yourself from 'bitnet-webgpu/worker' and pass it as createWorkerEngine's `worker` option",
  );
}

/**
 * The engine API with the model and all GPU work in a Web Worker; made by createWorkerEngine.
 * Requests are checked on the page as Engine checks them (the token count, known only once the
 * worker has tokenized the prompt, is checked there).
 */
export class WorkerEngine implements EngineInterface {
  readonly chat: { readonly completions: ChatCompletions };
  readonly modelName: string;
  readonly adapter: string;
  onDeviceLost?: (error: DeviceLostError) => void;
  private readonly modelTokenizer: ModelTokenizer;
  private readonly limits: RequestLimits;
  /** Requests in flight by id, each waiting for its events. */
  private readonly requests = new Map<number, (event: RequestEvent) => void>();
  private nextId = 1;
  private lastStats?: EngineStats;
  private disposed = false;

  /** Takes over `worker` once it has loaded the model (`loaded`: what it said then). */
  constructor(
    private readonly worker: Worker,
    loaded: LoadedMessage,
  ) {
    this.modelName = loaded.modelName;
    this.adapter = loaded.adapter;
    const { json, config, vocabSize } = loaded.tokenizer;
    this.modelTokenizer = new ModelTokenizer(
      JSON.parse(json),
      config === undefined ? {} : JSON.parse(config),
      vocabSize,
    );
    this.limits = {
      contextLength: loaded.contextLength,
      maxCharsPerToken: this.modelTokenizer.maxCharsPerToken,
      vocabSize,
    };
    this.chat = { completions: chatCompletionsOf(this) };
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => this.failRunning(workerFailure(event));
  }

  get tokenizer(): EngineTokenizer {
    return this.modelTokenizer;
  }

  get chatFormat(): ChatFormat {
    return this.modelTokenizer.chatFormat;
  }

  stats(): EngineStats {
    return this.lastStats ?? emptyStats(this.adapter);
  }

  /** As Engine.generate; the worker checks a text prompt's token count once it has tokenized it. */
  generate(request: GenerateRequest): AsyncIterable<GenerationChunk> {
    const { prompt, settings } = normalizeGenerateRequest(request, this.limits);
    if ('tokens' in prompt) checkPromptFits(prompt.tokens.length, settings, this.limits);
    const { signal, ...rest } = request;
    return this.run({ kind: 'generate', request: rest }, signal, (c) => (c.kind === 'generate' ? c.chunk : undefined));
  }

  createChatCompletion(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  createChatCompletion(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  createChatCompletion(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  async createChatCompletion(
    request: ChatCompletionRequest,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    const { stream } = normalizeChatRequest(request, this.limits);
    // the worker streams in any case (its host asks its engine for a stream)
    const { signal, ...rest } = request;
    const chunks = this.run({ kind: 'chat', request: rest }, signal, (c) => (c.kind === 'chat' ? c.chunk : undefined));
    return stream ? chunks : collectChatCompletion(chunks);
  }

  /** Stops the worker and frees its GPU memory; later requests fail with DisposedError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.send({ type: 'dispose' });
    this.worker.terminate();
    this.failRunning(new DisposedError('the engine was disposed during the request'));
  }

  private send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private receive(m: FromWorker): void {
    if (m.type === 'device-lost') {
      const error = new DeviceLostError(m.reason, m.detail);
      this.failRunning(error);
      this.onDeviceLost?.(error);
    } else if (m.type === 'chunk') this.requests.get(m.id)?.({ type: 'chunk', chunk: m });
    else if (m.type === 'done') this.requests.get(m.id)?.({ type: 'done', stats: m.stats });
    else if (m.type === 'error') this.requests.get(m.id)?.({ type: 'failed', error: reviveError(m.error) });
  }

  /** Ends every request in flight with `error` (the worker will not answer them any more). */
  private failRunning(error: Error): void {
    for (const listener of this.requests.values()) listener({ type: 'failed', error });
  }

  /** Streams one request's chunks (`chunkOf` picks this kind's); aborting `signal` asks the worker to stop. */
  private async *run<T>(
    work: WorkerRequest,
    signal: AbortSignal | undefined,
    chunkOf: (c: WorkerChunk) => T | undefined,
  ): AsyncGenerator<T> {
    if (this.disposed)
      throw new DisposedError(
        'the engine was disposed (its worker is stopped): create a new one with createWorkerEngine',
      );
    const id = this.nextId++;
    const queue: T[] = [];
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    this.requests.set(id, (event) => {
      if (done) return;
      if (event.type === 'chunk') {
        const chunk = chunkOf(event.chunk);
        if (chunk !== undefined) queue.push(chunk);
      } else if (event.type === 'done') {
        this.lastStats = event.stats;
        done = true;
      } else {
        failure = event.error;
        done = true;
      }
      wake?.();
    });
    const abort = () => this.send({ type: 'abort', id });
    signal?.addEventListener('abort', abort, { once: true });
    this.send({ type: 'run', id, ...work });
    try {
      while (true) {
        if (queue.length) {
          yield queue.shift()!;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.requests.delete(id);
      signal?.removeEventListener('abort', abort);
    }
  }
}

/**
 * createEngine's twin for pages: the same options and API, with the engine in a module worker.
 * Errors thrown in the worker reach the page as the same classes (name, code and fields).
 */
export async function createWorkerEngine(options: WorkerEngineOptions): Promise<WorkerEngine> {
  if (typeof options.model !== 'string')
    throw new InvalidArgumentError('createWorkerEngine needs `model` as a URL or repo id');
  const modelUrl = resolveModelUrl(options.model);
  const worker = options.worker ?? startPackagedWorker();
  const loaded = new Promise<WorkerEngine>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'progress') options.onProgress?.(m.progress);
      else if (m.type === 'load-error') reject(reviveError(m.error));
      else if (m.type === 'loaded') {
        try {
          resolve(new WorkerEngine(worker, m));
        } catch (err) {
          reject(err);
        }
      }
    };
    worker.onerror = (event) => reject(workerFailure(event));
  });
  let cancel!: () => void;
  const cancelled = new Promise<never>((_, reject) => {
    cancel = () => {
      worker.terminate();
      reject(new BitNetError('aborted', 'loading was cancelled'));
    };
  });
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  worker.postMessage({
    type: 'load',
    model: modelUrl,
    contextLength: options.contextLength,
    embeddingFormat: options.embeddingFormat,
    verifyShardHashes: options.verifyShardHashes,
  } satisfies ToWorker);
  try {
    return await Promise.race([loaded, cancelled]);
  } finally {
    // as for createEngine, the signal cancels loading only
    options.signal?.removeEventListener('abort', cancel);
  }
}
