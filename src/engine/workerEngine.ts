import { BitNetError, InvalidArgumentError } from '../errors.ts';
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
import type { FromWorker, SerializedError, ToWorker } from './workerProtocol.ts';

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
  /** Stops the worker and frees its GPU memory. */
  dispose(): void;
  /** Called if the worker's GPU device is lost after loading; create a new engine to recover. */
  onDeviceLost?: (error: BitNetError) => void;
}

function revive(e: SerializedError): BitNetError {
  const err = new BitNetError(e.code ?? 'worker', e.message);
  err.name = e.name;
  return err;
}

/**
 * createEngine's twin for pages: the same options and API, with the engine in a module worker.
 * `model` must be a URL or a Hugging Face repo id (the worker fetches it).
 */
export async function createWorkerEngine(options: EngineOptions & { worker?: Worker; signal?: AbortSignal }): Promise<WorkerEngine> {
  if (typeof options.model !== 'string') throw new InvalidArgumentError('createWorkerEngine needs `model` as a URL or repo id');
  const modelUrl = resolveModelUrl(options.model);
  let tokenizer!: ModelTokenizer;
  const worker = options.worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const listeners = new Map<number, (m: FromWorker) => void>();
  let nextId = 1;
  let lastStats: EngineStats | undefined;
  let adapter = '';
  let engine: WorkerEngine | undefined;
  const loaded = new Promise<void>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'progress') options.onProgress?.(m.progress);
      else if (m.type === 'loaded') {
        adapter = m.adapter;
        tokenizer = new ModelTokenizer(JSON.parse(m.tokenizer.json), m.tokenizer.config === undefined ? {} : JSON.parse(m.tokenizer.config), m.vocabSize);
        resolve();
      } else if (m.type === 'load-error') {
        const err = revive(m.error);
        if (err.code === 'device-lost') {
          failRunning(m.error);
          engine?.onDeviceLost?.(err);
        }
        reject(err);
      } else listeners.get(m.id)?.(m);
    };
    worker.onerror = (e) => reject(new BitNetError('worker', `the engine worker failed: ${e.message}`));
  });
  const send = (m: ToWorker) => worker.postMessage(m);
  /** Ends every request in flight with `error` (the worker will not answer them any more). */
  const failRunning = (error: SerializedError) => {
    for (const [id, listener] of listeners) listener({ type: 'error', id, error });
  };
  const cancelled = new Promise<never>((_, reject) => {
    const cancel = () => {
      worker.terminate();
      reject(new BitNetError('aborted', 'loading was cancelled'));
    };
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
  });
  cancelled.catch(() => {});
  send({ type: 'load', model: modelUrl, contextLength: options.contextLength, embeddingFormat: options.embeddingFormat, verifyShardHashes: options.verifyShardHashes });
  await Promise.race([loaded, cancelled]);

  /** Streams the chunks of one request; aborting its signal asks the worker to stop. */
  function run<T>(kind: 'chat' | 'generate', request: { signal?: AbortSignal }): AsyncIterable<T> {
    const id = nextId++;
    const queue: T[] = [];
    let done = false;
    let failure: BitNetError | undefined;
    let wake: (() => void) | undefined;
    listeners.set(id, (m) => {
      if (done) return;
      if (m.type === 'chunk') queue.push(m.chunk as T);
      else if (m.type === 'done') {
        lastStats = m.stats;
        done = true;
      } else if (m.type === 'error') {
        failure = revive(m.error);
        done = true;
      }
      wake?.();
    });
    const { signal, ...rest } = request;
    signal?.addEventListener('abort', () => send({ type: 'abort', id }), { once: true });
    send({ type: 'run', id, kind, request: rest } as ToWorker);
    return (async function* () {
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
      }
    })();
  }

  async function create(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    const chunks = run<ChatCompletionChunk>('chat', request);
    return request.stream ? chunks : collectChatCompletion(chunks);
  }

  engine = {
    chat: { completions: { create: create as WorkerEngine['chat']['completions']['create'] } },
    generate: (request) => run<GenerationChunk>('generate', request),
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
      send({ type: 'dispose' });
      worker.terminate();
      failRunning({ name: 'BitNetError', code: 'disposed', message: 'the engine was disposed during the request' });
    },
  };
  return engine;
}
