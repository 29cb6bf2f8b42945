// Requests as users write them (an OpenAI-shaped chat completion, raw generation) turned into what
// the engine runs: every field checked, defaults applied. The one place these rules live: Engine
// and WorkerEngine both call it, and errors name the field and the value given.
import { ContextOverflowError, InvalidArgumentError } from '../errors.ts';
import type { SamplingParams } from '../kernels/sample.ts';
import { jsonPreview } from '../untrustedJson.ts';
import type { ChatCompletionRequest, ChatMessage, GenerateRequest, GenerationSettings } from './types.ts';

/** What a request is checked against: the loaded model and its tokenizer. */
export interface RequestLimits {
  /** Tokens the KV cache holds: the prompt plus max_tokens must fit. */
  contextLength: number;
  /** The most characters one token stands for: a longer text cannot fit, known before tokenizing it. */
  maxCharsPerToken: number;
  /** Token ids run from 0 to vocabSize - 1. */
  vocabSize: number;
}

/** GenerationSettings checked, with every default filled in. */
export interface NormalizedSettings {
  /** New tokens at most. */
  maxTokens: number;
  sampling: SamplingParams;
  /** Texts that end the reply (none empty). */
  stop: string[];
  /** More token ids that end the reply, besides the model's own. */
  stopTokenIds: number[];
  signal?: AbortSignal;
}

export interface NormalizedChatRequest {
  messages: ChatMessage[];
  stream: boolean;
  settings: NormalizedSettings;
}

export interface NormalizedGenerateRequest {
  /** Text to tokenize, or token ids to run as they are. */
  prompt: { text: string } | { tokens: number[] };
  settings: NormalizedSettings;
}

const DEFAULT_MAX_TOKENS = 256;
const ROLES: readonly string[] = ['system', 'user', 'assistant'] satisfies ChatMessage['role'][];

function invalid(field: string, rule: string, value: unknown): never {
  throw new InvalidArgumentError(`${field} must be ${rule}, got ${jsonPreview(value)}`);
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function checkRequestObject(request: unknown): void {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    invalid('the request', 'an object', request);
}

/**
 * Refuses text that cannot fit the context before it is rendered or tokenized (10 MB takes
 * seconds): no token stands for more than the tokenizer's longest vocabulary entry.
 */
function checkTextFits(chars: number, what: string, limits: RequestLimits): void {
  const limit = limits.contextLength * limits.maxCharsPerToken;
  if (chars > limit) {
    throw new ContextOverflowError(
      `${what} ${chars} characters: more than the ${limits.contextLength}-token context can take (${limit} characters, as no token of this model covers more than ${limits.maxCharsPerToken}); shorten the text`,
    );
  }
}

/**
 * The sampling settings, in the range the GPU sampler can honour: it sees float32, where a value
 * must keep its meaning (1e-50 is 0 there, 0.999999999 is 1).
 */
function samplingOf(s: GenerationSettings): SamplingParams {
  const temperature = s.temperature ?? 1;
  const topK = s.top_k ?? 0;
  const topP = s.top_p ?? 1;
  const minP = s.min_p ?? 0;
  const repetitionPenalty = s.repetition_penalty ?? 1;
  const seed = s.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!(typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0))
    invalid('temperature', 'a number >= 0 (0: greedy)', temperature);
  if (!(isInteger(topK) && topK >= 0)) invalid('top_k', 'a non-negative integer (0: off)', topK);
  if (!(typeof topP === 'number' && topP <= 1 && Math.fround(topP) > 0))
    invalid('top_p', 'in (0, 1] (and not 0 as a float32)', topP);
  if (!(typeof minP === 'number' && minP >= 0 && Math.fround(minP) < 1))
    invalid('min_p', 'in [0, 1) (and not 1 as a float32)', minP);
  // beyond these, penalized logits divided by a small temperature approach float32's range
  if (!(typeof repetitionPenalty === 'number' && repetitionPenalty >= 0.01 && repetitionPenalty <= 100))
    invalid('repetition_penalty', 'in [0.01, 100] (1: off)', repetitionPenalty);
  if (!(isInteger(seed) && seed >= 0 && seed < 2 ** 32)) invalid('seed', 'an integer in [0, 2^32)', seed);
  return { temperature, topK, topP, minP, repetitionPenalty, seed };
}

function settingsOf(s: GenerationSettings): NormalizedSettings {
  const maxTokens = s.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (!(isInteger(maxTokens) && maxTokens > 0)) invalid('max_tokens', 'a positive integer', maxTokens);
  const stop = s.stop ?? [];
  const stops = Array.isArray(stop) ? stop : [stop];
  if (!stops.every((x) => typeof x === 'string' && x.length > 0))
    invalid('stop', 'a non-empty string or a list of them', stop);
  const stopTokenIds = s.stop_token_ids ?? [];
  if (!(Array.isArray(stopTokenIds) && stopTokenIds.every((id) => isInteger(id) && id >= 0)))
    invalid('stop_token_ids', 'a list of token ids (non-negative integers)', stopTokenIds);
  return { maxTokens, sampling: samplingOf(s), stop: [...stops], stopTokenIds: [...stopTokenIds], signal: s.signal };
}

/** A chat completion request checked (messages, their length against the context, settings). */
export function normalizeChatRequest(request: ChatCompletionRequest, limits: RequestLimits): NormalizedChatRequest {
  checkRequestObject(request);
  const { messages } = request;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new InvalidArgumentError('messages must be a non-empty array');
  for (const [i, m] of messages.entries()) {
    if (!ROLES.includes(m?.role) || typeof m.content !== 'string')
      throw new InvalidArgumentError(`messages[${i}] needs a role (system, user or assistant) and string content`);
  }
  const settings = settingsOf(request);
  checkTextFits(
    messages.reduce((n, m) => n + m.content.length, 0),
    'the messages have',
    limits,
  );
  return { messages, stream: Boolean(request.stream), settings };
}

/** A raw generation request checked (a text prompt or token ids, its length, settings). */
export function normalizeGenerateRequest(request: GenerateRequest, limits: RequestLimits): NormalizedGenerateRequest {
  checkRequestObject(request);
  const { prompt, tokens } = request;
  if (prompt != null && tokens != null) throw new InvalidArgumentError('give `prompt` or `tokens`, not both');
  if (tokens == null && prompt == null)
    throw new InvalidArgumentError('generate needs a non-empty `prompt` or `tokens`');
  const settings = settingsOf(request);
  if (tokens != null) {
    if (!Array.isArray(tokens) || tokens.length === 0) invalid('tokens', 'a non-empty list of token ids', tokens);
    for (const [i, id] of tokens.entries()) {
      if (!(isInteger(id) && id >= 0 && id < limits.vocabSize))
        invalid(`tokens[${i}]`, `a token id, an integer in 0..${limits.vocabSize - 1}`, id);
    }
    return { prompt: { tokens: [...tokens] }, settings };
  }
  if (typeof prompt !== 'string') invalid('prompt', 'a string', prompt);
  checkTextFits(prompt.length, 'the prompt has', limits);
  return { prompt: { text: prompt }, settings };
}

/** After tokenizing: the prompt is not empty, and it fits the context with room for max_tokens. */
export function checkPromptFits(promptTokens: number, settings: NormalizedSettings, limits: RequestLimits): void {
  if (promptTokens === 0)
    throw new InvalidArgumentError('the prompt is empty once tokenized: generation needs at least one token');
  const { maxTokens } = settings;
  if (promptTokens + maxTokens > limits.contextLength) {
    throw new ContextOverflowError(
      `the prompt has ${promptTokens} tokens and max_tokens is ${maxTokens}: ${promptTokens + maxTokens} exceed the context of ${limits.contextLength} tokens; shorten the conversation or lower max_tokens`,
    );
  }
}
