// The engine inside a Web Worker: all GPU work happens here, so the page never stalls.
/// <reference lib="webworker" />
import { createEngine } from '../index.ts';
import type { Engine } from './engine.ts';
import { DeviceLostError } from '../errors.ts';
import type { FromWorker, SerializedError, ToWorker } from './workerProtocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let engine: Engine | undefined;
const running = new Map<number, AbortController>();

function post(m: FromWorker): void {
  self.postMessage(m);
}

function serialize(err: unknown): SerializedError {
  const e = err as { name?: string; code?: string; message?: string };
  return { name: e?.name ?? 'Error', code: e?.code, message: e?.message ?? String(err) };
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === 'load') {
    try {
      engine = await createEngine({ model: m.model, contextLength: m.contextLength, embeddingFormat: m.embeddingFormat, verifyShardHashes: m.verifyShardHashes, onProgress: (progress) => post({ type: 'progress', progress }) });
      // the device may be lost later (driver reset, GPU removed): the page offers to reload
      engine.gpu.device.lost.then((info) => post({ type: 'load-error', error: serialize(new DeviceLostError(info.reason, info.message)) }));
      post({ type: 'loaded', adapter: engine.gpu.caps.adapterName, vocabSize: engine.model.config.vocabSize, tokenizer: engine.tokenizerFiles! });
    } catch (err) {
      post({ type: 'load-error', error: serialize(err) });
    }
  } else if (m.type === 'run') {
    const controller = new AbortController();
    running.set(m.id, controller);
    try {
      if (!engine) throw new Error('the engine is not loaded');
      const signal = controller.signal;
      const chunks =
        m.kind === 'chat'
          ? await engine.chat.completions.create({ ...m.request, stream: true, signal })
          : engine.generate({ ...m.request, signal });
      for await (const chunk of chunks) post({ type: 'chunk', id: m.id, chunk });
      post({ type: 'done', id: m.id, stats: engine.stats() });
    } catch (err) {
      post({ type: 'error', id: m.id, error: serialize(err) });
    } finally {
      running.delete(m.id);
    }
  } else if (m.type === 'abort') {
    running.get(m.id)?.abort();
  } else if (m.type === 'dispose') {
    engine?.dispose();
    engine = undefined;
  }
};
