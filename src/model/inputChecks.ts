// Every check of what a caller gives BitNetModel (load options, token ids, generation requests),
// made before any GPU work, each failure a typed error naming the value.
import { ContextOverflowError, InvalidArgumentError } from '../errors.ts';

/** The load options that are checked (BitNetModelOptions' fields of the same names). */
export interface CheckedLoadOptions {
  contextLength?: number;
  linearFormat?: string;
  embeddingFormat?: string;
}

/** Checks the load options against the model's limit and returns the context length to allocate. */
export function checkLoadOptions(options: CheckedLoadOptions, maxPositionEmbeddings: number): number {
  const contextLength = options.contextLength ?? Math.min(maxPositionEmbeddings, 4096);
  if (!(Number.isInteger(contextLength) && contextLength > 0 && contextLength <= maxPositionEmbeddings)) {
    throw new InvalidArgumentError(
      `contextLength ${contextLength} must be an integer in 1..${maxPositionEmbeddings} (max_position_embeddings)`,
    );
  }
  // the upload picks a format by comparing with one name, so anything else would silently pick the other
  const oneOf = (field: string, value: string | undefined, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(value))
      throw new InvalidArgumentError(
        `${field} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}`,
      );
  };
  oneOf('linearFormat', options.linearFormat, ['ternary', 'f32']);
  oneOf('embeddingFormat', options.embeddingFormat, ['int8', 'bf16']);
  return contextLength;
}

/** What token checks compare with: the vocabulary and the cache. */
export interface CacheLimits {
  vocabSize: number;
  /** Tokens already cached. */
  position: number;
  contextLength: number;
  maxPositionEmbeddings: number;
}

/** Every id is in the vocabulary, and the cache has room for `ids` and `extra` generated tokens. */
export function checkTokens(ids: readonly number[], extra: number, limits: CacheLimits): void {
  const V = limits.vocabSize;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new InvalidArgumentError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
  }
  const { position, contextLength, maxPositionEmbeddings } = limits;
  const needed = position + ids.length + extra;
  if (needed > contextLength) {
    throw new ContextOverflowError(
      `${position} cached + ${ids.length} new + ${extra} generated = ${needed} tokens exceed the context of ${contextLength}` +
        (contextLength < maxPositionEmbeddings
          ? ` (the model allows ${maxPositionEmbeddings}; load it with a larger contextLength)`
          : ''),
    );
  }
}

/** A generation request: a non-empty prompt whose ids and `maxTokens` - 1 generated tokens fit the cache. */
export function checkGeneration(prompt: readonly number[], maxTokens: number, limits: CacheLimits): void {
  if (!(Number.isInteger(maxTokens) && maxTokens > 0))
    throw new InvalidArgumentError(`maxTokens must be a positive integer, got ${maxTokens}`);
  if (prompt.length === 0) throw new InvalidArgumentError('the prompt is empty: give at least one token (usually BOS)');
  checkTokens(prompt, maxTokens - 1, limits);
}
