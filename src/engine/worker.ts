// The engine inside a Web Worker: all GPU work happens here, so the page never stalls. Published as
// bitnet-webgpu/worker (dist/worker.js, self-contained); createWorkerEngine speaks to it.
/// <reference lib="webworker" />
import { createEngine } from './createEngine.ts';
import type { Engine } from './engine.ts';
import { DeviceLostError } from '../errors.ts';
import { serializeError } from './workerErrors.ts';
import type { FromWorker, ToWorker, WorkerRequest } from './workerProtocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let engine: Engine | undefined;
const running = new Map<number, AbortController>();

function post(m: FromWorker): void {
  self.postMessage(m);
}

async function load(m: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  try {
    engine = await createEngine({
      model: m.model,
      contextLength: m.contextLength,
      embeddingFormat: m.embeddingFormat,
      verifyShardHashes: m.verifyShardHashes,
      onProgress: (progress) => post({ type: 'progress', progress }),
    });
    // the device may be lost later (driver reset, GPU removed): the page offers to reload
    engine.gpu.device.lost.then((info) =>
      post({ type: 'device-lost', error: serializeError(new DeviceLostError(info.reason, info.message)) }),
    );
    post({
      type: 'loaded',
      adapter: engine.gpu.caps.adapterName,
      vocabSize: engine.model.config.vocabSize,
      tokenizer: engine.tokenizerFiles!,
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

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === 'load') void load(m);
  else if (m.type === 'run') void run(m.id, m);
  else if (m.type === 'abort') running.get(m.id)?.abort();
  else {
    engine?.dispose();
    engine = undefined;
  }
};
