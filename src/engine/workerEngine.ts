// createWorkerEngine: the Engine API on the page, with the model and all GPU work in a Web Worker
// (worker.ts), spoken to through workerProtocol.ts.
import { BitNetError, DeviceLostError, DisposedError, InvalidArgumentError, WorkerError } from '../errors.ts';
import { ModelTokenizer } from '../tokenizer/modelTokenizer.ts';
import { resolveModelUrl } from './modelLocation.ts';
import { collectChatCompletion, emptyStats } from './chatCompletion.ts';
import type { EngineOptions, EngineTokenizer } from './engine.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EngineStats,
  GenerateRequest,
  GenerationChunk,
} from './types.ts';
import { reviveError } from './workerErrors.ts';
import type { FromWorker, ToWorker, WorkerChunk, WorkerRequest } from './workerProtocol.ts';

/** The Engine API, with the model and all GPU work in a Web Worker. */
export interface WorkerEngine {
  readonly chat: {
    completions: {
      create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
      create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
    };
  };
  generate(request: GenerateRequest): AsyncIterable<GenerationChunk>;
  readonly tokenizer: EngineTokenizer;
  /** How chat messages become a prompt: the model's template, BitNet-2B's format, or plain text. */
  get chatFormat(): ModelTokenizer['chatFormat'];
  readonly adapter: string;
  stats(): EngineStats;
  /** Stops the worker and frees its GPU memory; later requests fail with DisposedError. */
  dispose(): void;
  /** Called if the worker's GPU device is lost after loading; create a new engine to recover. */
  onDeviceLost?: (error: DeviceLostError) => void;
}

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
type RunEvent =
  ({ type: 'chunk' } & WorkerChunk) | { type: 'done'; stats: EngineStats } | { type: 'failed'; error: Error };

function startPackagedWorker(): Worker {
  // Written out in full: this is the form bundlers recognise to emit the worker with the app.
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
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
  const listeners = new Map<number, (event: RunEvent) => void>();
  let tokenizer!: ModelTokenizer;
  let nextId = 1;
  let lastStats: EngineStats | undefined;
  let adapter = '';
  let disposed = false;
  let engine: WorkerEngine | undefined;
  /** Ends every request in flight with `error` (the worker will not answer them any more). */
  const failRunning = (error: Error) => {
    for (const listener of listeners.values()) listener({ type: 'failed', error });
  };
  const loaded = new Promise<void>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'progress') options.onProgress?.(m.progress);
      else if (m.type === 'loaded') {
        adapter = m.adapter;
        tokenizer = new ModelTokenizer(
          JSON.parse(m.tokenizer.json),
          m.tokenizer.config === undefined ? {} : JSON.parse(m.tokenizer.config),
          m.vocabSize,
        );
        resolve();
      } else if (m.type === 'load-error') reject(reviveError(m.error));
      else if (m.type === 'device-lost') {
        const error = reviveError(m.error);
        failRunning(error);
        if (error instanceof DeviceLostError) engine?.onDeviceLost?.(error);
      } else if (m.type === 'error') listeners.get(m.id)?.({ type: 'failed', error: reviveError(m.error) });
      else listeners.get(m.id)?.(m);
    };
    worker.onerror = (event) => {
      const error = new WorkerError(
        event.message
          ? `the engine worker failed: ${event.message}`
          : "the engine worker did not start: its script did not load. If your bundler does not emit bitnet-webgpu's worker.js, " +
              "start it yourself from 'bitnet-webgpu/worker' and pass it as createWorkerEngine's `worker` option",
      );
      reject(error);
      failRunning(error);
    };
  });
  const send = (m: ToWorker) => worker.postMessage(m);
  const cancelled = new Promise<never>((_, reject) => {
    const cancel = () => {
      worker.terminate();
      reject(new BitNetError('aborted', 'loading was cancelled'));
    };
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
  });
  cancelled.catch(() => {});
  send({
    type: 'load',
    model: modelUrl,
    contextLength: options.contextLength,
    embeddingFormat: options.embeddingFormat,
    verifyShardHashes: options.verifyShardHashes,
  });
  await Promise.race([loaded, cancelled]);

  /** Streams one request's chunks (`chunkOf` picks this kind's); aborting `signal` asks the worker to stop. */
  async function* run<T>(
    work: WorkerRequest,
    signal: AbortSignal | undefined,
    chunkOf: (c: WorkerChunk) => T | undefined,
  ): AsyncGenerator<T> {
    if (disposed)
      throw new DisposedError(
        'the engine was disposed (its worker is stopped): create a new one with createWorkerEngine',
      );
    const id = nextId++;
    const queue: T[] = [];
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    listeners.set(id, (event) => {
      if (done) return;
      if (event.type === 'chunk') {
        const chunk = chunkOf(event);
        if (chunk !== undefined) queue.push(chunk);
      } else if (event.type === 'done') {
        lastStats = event.stats;
        done = true;
      } else {
        failure = event.error;
        done = true;
      }
      wake?.();
    });
    const abort = () => send({ type: 'abort', id });
    signal?.addEventListener('abort', abort, { once: true });
    send({ type: 'run', id, ...work });
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
      listeners.delete(id);
      signal?.removeEventListener('abort', abort);
    }
  }

  async function create(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    const { signal, stream, ...rest } = request;
    const chunks = run({ kind: 'chat', request: rest }, signal, (c) => (c.kind === 'chat' ? c.chunk : undefined));
    return stream ? chunks : collectChatCompletion(chunks);
  }

  engine = {
    chat: { completions: { create: create as WorkerEngine['chat']['completions']['create'] } },
    generate: ({ signal, ...rest }) =>
      run({ kind: 'generate', request: rest }, signal, (c) => (c.kind === 'generate' ? c.chunk : undefined)),
    get tokenizer() {
      return tokenizer;
    },
    get chatFormat() {
      return tokenizer.chatFormat;
    },
    get adapter() {
      return adapter;
    },
    stats: () => lastStats ?? emptyStats(adapter),
    dispose() {
      if (disposed) return;
      disposed = true;
      send({ type: 'dispose' });
      worker.terminate();
      failRunning(new DisposedError('the engine was disposed during the request'));
    },
  };
  return engine;
}
