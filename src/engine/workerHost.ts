// The worker's side of workerProtocol.ts: loads an engine when the page asks, runs its requests
// and streams their chunks back, and tells the page when the GPU device is lost.
import { openEngine, type CreateEngineOptions } from './createEngine.ts';
import type { Engine, LoadedEngine } from './engine.ts';
import { serializeError } from './workerErrors.ts';
import type { FromWorker, ToWorker, WorkerRequest } from './workerProtocol.ts';

/** What the host needs of a worker's global scope (a DedicatedWorkerGlobalScope in a page). */
export interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

/**
 * Answers the page's messages on `scope`. `open` loads the engine (default: createEngine's
 * loading, with the GPU from navigator.gpu and the IndexedDB cache).
 */
export function serveEngine(
  scope: WorkerScope,
  open: (options: CreateEngineOptions) => Promise<LoadedEngine> = openEngine,
): void {
  let engine: Engine | undefined;
  const running = new Map<number, AbortController>();
  const post = (m: FromWorker) => scope.postMessage(m);

  async function load(m: Extract<ToWorker, { type: 'load' }>): Promise<void> {
    try {
      const loaded = await open({
        model: m.model,
        contextLength: m.contextLength,
        embeddingFormat: m.embeddingFormat,
        verifyShardHashes: m.verifyShardHashes,
        onProgress: (progress) => post({ type: 'progress', progress }),
      });
      engine = loaded.engine;
      engine.onDeviceLost = (error) => post({ type: 'device-lost', reason: error.reason, detail: error.detail });
      post({
        type: 'loaded',
        modelName: engine.modelName,
        adapter: engine.adapter,
        contextLength: engine.model.contextLength,
        tokenizer: loaded.tokenizerSource,
      });
    } catch (err) {
      post({ type: 'load-error', error: serializeError(err) });
    }
  }

  async function run(id: number, work: WorkerRequest): Promise<void> {
    const controller = new AbortController();
    running.set(id, controller);
    const signal = controller.signal;
    try {
      if (!engine) throw new Error('the engine is not loaded');
      if (work.kind === 'chat') {
        for await (const chunk of await engine.chat.completions.create({ ...work.request, stream: true, signal }))
          post({ type: 'chunk', id, kind: 'chat', chunk });
      } else {
        for await (const chunk of engine.generate({ ...work.request, signal }))
          post({ type: 'chunk', id, kind: 'generate', chunk });
      }
      post({ type: 'done', id, stats: engine.stats() });
    } catch (err) {
      post({ type: 'error', id, error: serializeError(err) });
    } finally {
      running.delete(id);
    }
  }

  scope.onmessage = (event) => {
    const m = event.data;
    if (m.type === 'load') void load(m);
    else if (m.type === 'run') void run(m.id, m);
    else if (m.type === 'abort') running.get(m.id)?.abort();
    else {
      engine?.dispose();
      engine = undefined;
    }
  };
}
