// What an application can do with a loaded model, declared once: Engine (on the calling thread)
// and WorkerEngine (the same engine in a Web Worker) both implement it, so the compiler keeps
// their APIs the same.
import type { DeviceLostError } from '../errors.ts';
import type { ChatFormat } from '../tokenizer/modelTokenizer.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EngineStats,
  GenerateRequest,
  GenerationChunk,
} from './types.ts';

/** The engine's tokenizer: plain synchronous encode/decode. */
export interface EngineTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

/** OpenAI's `chat.completions`: a stream of chunks with `stream: true`, one completion otherwise. */
export interface ChatCompletions {
  create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
}

/**
 * A loaded model with its tokenizer: OpenAI-shaped chat completions, raw generation, and reuse of
 * the KV cache for the shared prefix of consecutive requests. Requests run one at a time.
 */
export interface EngineInterface {
  /** `engine.chat.completions.create(request)`, as in OpenAI's client. */
  readonly chat: { readonly completions: ChatCompletions };
  /** The same as `chat.completions.create`. */
  createChatCompletion: ChatCompletions['create'];
  /** Raw generation from text or token ids, as an async iterable of chunks (the last carries finishReason). */
  generate(request: GenerateRequest): AsyncIterable<GenerationChunk>;
  readonly tokenizer: EngineTokenizer;
  /** How chat messages become a prompt: the model's template, BitNet-2B's format, or plain text. */
  readonly chatFormat: ChatFormat;
  /** The model's name as given to createEngine (a repo id or URL resolved to its URL). */
  readonly modelName: string;
  /** The GPU adapter the model runs on, in words. */
  readonly adapter: string;
  /** Timings and token counts of the last request. */
  stats(): EngineStats;
  /** Frees the model's GPU memory; later requests fail with DisposedError. */
  dispose(): void;
  /**
   * Called once if the GPU device is lost after loading (driver reset, GPU removed,
   * `device.destroy()`). The request in flight and every later one fail with the same
   * DeviceLostError: create a new engine to recover (the weights reload from the cache).
   */
  onDeviceLost?: (error: DeviceLostError) => void;
}

/** `chat.completions` of `engine`: its createChatCompletion, bound, so that it may be passed around. */
export function chatCompletionsOf(engine: EngineInterface): ChatCompletions {
  // bind() types the result by the last overload only; the overloads are createChatCompletion's own
  return { create: engine.createChatCompletion.bind(engine) as ChatCompletions['create'] };
}
