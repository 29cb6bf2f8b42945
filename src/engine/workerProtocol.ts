// Messages between createWorkerEngine (the page) and worker.ts (the engine in a Web Worker).
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  EngineStats,
  GenerateRequest,
  GenerationChunk,
  LoadProgress,
} from './types.ts';
import type { EmbeddingFormat } from '../weights/formats.ts';
import type { SerializedError } from './workerErrors.ts';

/** A request as the worker runs it (signals stay on the page: aborting sends an 'abort' message). */
export type WorkerRequest =
  | { kind: 'chat'; request: Omit<ChatCompletionRequest, 'signal' | 'stream'> }
  | { kind: 'generate'; request: Omit<GenerateRequest, 'signal'> };

/** One streamed piece of a request's answer. */
export type WorkerChunk = { kind: 'chat'; chunk: ChatCompletionChunk } | { kind: 'generate'; chunk: GenerationChunk };

export type ToWorker =
  | {
      type: 'load';
      model: string;
      contextLength?: number;
      embeddingFormat?: EmbeddingFormat;
      verifyShardHashes?: boolean;
    }
  | ({ type: 'run'; id: number } & WorkerRequest)
  | { type: 'abort'; id: number }
  | { type: 'dispose' };

export type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'loaded'; adapter: string; vocabSize: number; tokenizer: { json: string; config?: string } }
  | { type: 'load-error'; error: SerializedError }
  /** After loading: the GPU device went away; every later request fails. */
  | { type: 'device-lost'; error: SerializedError }
  | ({ type: 'chunk'; id: number } & WorkerChunk)
  | { type: 'done'; id: number; stats: EngineStats }
  | { type: 'error'; id: number; error: SerializedError };
