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
 * The steps of loading, in the order they run; a load reports only those it needs (a cached or
 * local model has no download, a model in our format no conversion).
 * - `download`: the model's files arrive (bytes; the total is every file the cache will hold);
 * - `verify`: downloaded shards pass their SHA-256 check (bytes of shards; concurrent with download);
 * - `convert`: a Hugging Face checkpoint is converted into shards on the fly (tensors);
 * - `upload`: tensors are placed on the GPU (tensors);
 * - `compile`: the GPU kernels are compiled (kernel families);
 * - `warmup`: each kernel runs once on a dummy prompt, so that the first request does not wait
 *   for compilation that drivers leave to a kernel's first use (passes).
 */
export type LoadPhase = 'download' | 'verify' | 'convert' | 'upload' | 'compile' | 'warmup';

/** What `done` and `total` count in each phase. */
export type LoadUnit = 'bytes' | 'tensors' | 'kernels' | 'passes';

/** One report of loading progress (the shape of WebLLM's initProgressCallback, with the phase's own count). */
export interface LoadProgress {
  phase: LoadPhase;
  /** Progress within the phase: `done` of `total` `unit`s. */
  done: number;
  total: number;
  unit: LoadUnit;
  /** The whole load, 0..1: never decreases, and is 1 on the last report, just before the engine is ready. */
  fraction: number;
  /** The same for people: "Downloading the model: 3.1 MB of 5.9 MB (1.0 MB verified)", "Compiling GPU kernels: 4 of 10". */
  text: string;
  /** The file that just made progress, in `download` and `verify`. */
  file?: string;
}
