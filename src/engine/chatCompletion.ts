// Shapes shared by the engine and its worker twin.
import type { ChatCompletion, ChatCompletionChunk, EngineStats, FinishReason } from './types.ts';

/** Stats before any request has run. */
export function emptyStats(adapter: string): EngineStats {
  return {
    adapter,
    promptTokens: 0,
    cachedTokens: 0,
    completionTokens: 0,
    timeToFirstTokenMs: 0,
    prefillTokensPerSecond: 0,
    decodeTokensPerSecond: 0,
  };
}

/** The non-streamed answer: a stream's chunks joined (content, finish reason, usage of the last chunk). */
export async function collectChatCompletion(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletion> {
  let content = '';
  let finish: FinishReason = 'stop';
  let last: ChatCompletionChunk | undefined;
  for await (const c of chunks) {
    content += c.choices[0].delta.content ?? '';
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
    last = c;
  }
  return {
    id: last?.id ?? '',
    object: 'chat.completion',
    created: last?.created ?? 0,
    model: last?.model ?? '',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
    usage: last?.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}
