// The public, OpenAI-shaped request and response types.
import type { ChatMessage } from '../tokenizer/chatTemplate.ts';

export type { ChatMessage };
export type FinishReason = 'stop' | 'length' | 'abort';

/** Sampling and stopping, shared by chat completions and raw generation. */
export interface GenerationSettings {
  /** New tokens at most (default 256). */
  max_tokens?: number;
  /** 0 is greedy, and so is anything below 1e-5 (default 1, as OpenAI). */
  temperature?: number;
  /** Nucleus sampling (default 1: off). */
  top_p?: number;
  /** Keep the k most likely tokens (default 0: off; k >= the vocabulary is off too). */
  top_k?: number;
  /** Drop tokens below min_p x the top probability (default 0: off). */
  min_p?: number;
  /** transformers' repetition penalty, in [0.01, 100] (default 1: off). */
  repetition_penalty?: number;
  /** Makes sampling reproducible (default: random). */
  seed?: number;
  /** Text that ends the reply (not included in it). */
  stop?: string | string[];
  /** More token ids that end the reply (besides the model's end-of-text tokens). */
  stop_token_ids?: number[];
  /** Cancels generation; the reply so far ends with finish_reason "abort". */
  signal?: AbortSignal;
}

export interface ChatCompletionRequest extends GenerationSettings {
  messages: ChatMessage[];
  stream?: boolean;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: 'assistant'; content: string }; finish_reason: FinishReason }];
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: [{ index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null }];
  /** On the last chunk only. */
  usage?: Usage;
}

export interface GenerateRequest extends GenerationSettings {
  /** Text to continue (BOS is added as the tokenizer does), or token ids as they are. */
  prompt?: string;
  tokens?: number[];
}

/** One step of engine.generate(): the token and the text it made visible; the last has finishReason. */
export interface GenerationChunk {
  token: number | null;
  text: string;
  finishReason: FinishReason | null;
}

export interface EngineStats {
  adapter: string;
  promptTokens: number;
  /** Tokens that were already in the KV cache and not recomputed. */
  cachedTokens: number;
  completionTokens: number;
  timeToFirstTokenMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/**
 * Where loading is. `fetch`: model files downloaded and verified (bytes; tensors when a Hugging
 * Face checkpoint is converted on the fly); `upload`: tensors placed on the GPU.
 */
export interface LoadProgress {
  phase: 'fetch' | 'upload';
  done: number;
  total: number;
  unit: 'bytes' | 'tensors';
  /** The file that just made progress, while fetching. */
  file?: string;
}
