// Messages between createWorkerEngine (the page) and workerHost.ts (the engine in a Web Worker).
import type { TokenizerSource } from './engine.ts';
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

/** One streamed piece of a request's answer, of the request's own kind. */
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

/** What the page learns of the engine once it is loaded. */
export interface LoadedMessage {
  type: 'loaded';
  modelName: string;
  adapter: string;
  /** The KV cache length in tokens: the page checks requests against it. */
  contextLength: number;
  /** The page builds its own tokenizer (encode, decode, chat format) from it. */
  tokenizer: TokenizerSource;
}

export type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | LoadedMessage
  | { type: 'load-error'; error: SerializedError }
  /** After loading: the GPU device went away (a DeviceLostError's fields); every later request fails. */
  | { type: 'device-lost'; reason: string; detail: string }
  | ({ type: 'chunk'; id: number } & WorkerChunk)
  | { type: 'done'; id: number; stats: EngineStats }
  | { type: 'error'; id: number; error: SerializedError };
