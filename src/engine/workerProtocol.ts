// Messages between createWorkerEngine (page) and worker.ts (the engine in a Web Worker).
import type { ChatCompletionRequest, EngineStats, GenerateRequest, LoadProgress } from './types.ts';
import type { EmbeddingFormat } from '../kernels/embeddingWeights.ts';

export type ToWorker =
  | { type: 'load'; model: string; contextLength?: number; embeddingFormat?: EmbeddingFormat; verifyShardHashes?: boolean }
  | { type: 'run'; id: number; kind: 'chat'; request: Omit<ChatCompletionRequest, 'signal'> }
  | { type: 'run'; id: number; kind: 'generate'; request: Omit<GenerateRequest, 'signal'> }
  | { type: 'abort'; id: number }
  | { type: 'dispose' };

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
}

export type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'loaded'; adapter: string; vocabSize: number; tokenizer: { json: string; config?: string } }
  | { type: 'load-error'; error: SerializedError }
  | { type: 'chunk'; id: number; chunk: unknown }
  | { type: 'done'; id: number; stats: EngineStats }
  | { type: 'error'; id: number; error: SerializedError };

