// The request rules both engines apply (src/engine/generationRequest.ts), without a GPU: defaults,
// every field's check naming the field and the value, and the context bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkPromptFits,
  normalizeChatRequest,
  normalizeGenerateRequest,
  type RequestLimits,
} from '../src/engine/generationRequest.ts';
import type { GenerateRequest } from '../src/engine/types.ts';

const limits: RequestLimits = { contextLength: 64, maxCharsPerToken: 10, vocabSize: 100 };

/** A generate request with `fields` added, as an untyped caller (JavaScript, parsed JSON) may send it. */
function generateWith(fields: Record<string, unknown>) {
  return () => normalizeGenerateRequest({ prompt: 'x', ...fields } as GenerateRequest, limits);
}

test('defaults are OpenAI-like and filled in; given settings pass through unchanged', () => {
  const { prompt, settings } = normalizeGenerateRequest({ prompt: 'Once' }, limits);
  assert.deepEqual(prompt, { text: 'Once' });
  assert.equal(settings.maxTokens, 256);
  assert.deepEqual(
    { ...settings.sampling, seed: 0 },
    {
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      repetitionPenalty: 1,
      seed: 0,
    },
  );
  assert.ok(
    Number.isInteger(settings.sampling.seed) && settings.sampling.seed >= 0 && settings.sampling.seed < 2 ** 32,
  );
  assert.deepEqual([settings.stop, settings.stopTokenIds], [[], []]);
  const signal = new AbortController().signal;
  const given = normalizeGenerateRequest(
    {
      tokens: [1, 2],
      max_tokens: 5,
      temperature: 0.5,
      top_k: 3,
      top_p: 0.9,
      min_p: 0.1,
      repetition_penalty: 1.2,
      seed: 7,
      stop: 'END',
      stop_token_ids: [4],
      signal,
    },
    limits,
  );
  assert.deepEqual(given.prompt, { tokens: [1, 2] });
  assert.deepEqual(given.settings, {
    maxTokens: 5,
    sampling: { temperature: 0.5, topK: 3, topP: 0.9, minP: 0.1, repetitionPenalty: 1.2, seed: 7 },
    stop: ['END'],
    stopTokenIds: [4],
    signal,
  });
});

test('each setting out of range is refused with its field name and the value given', () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ max_tokens: 0 }, /^max_tokens must be a positive integer, got 0$/],
    [{ max_tokens: 2.5 }, /^max_tokens must be a positive integer, got 2\.5$/],
    [{ temperature: -1 }, /^temperature must be a number >= 0 \(0: greedy\), got -1$/],
    [{ temperature: Infinity }, /^temperature must be .*, got Infinity$/],
    [{ top_k: -1 }, /^top_k must be a non-negative integer \(0: off\), got -1$/],
    [{ top_p: 0 }, /^top_p must be in \(0, 1\] \(and not 0 as a float32\), got 0$/],
    [{ top_p: 1e-50 }, /^top_p must be .*, got 1e-50$/],
    [{ top_p: '0.5' }, /^top_p must be .*, got "0\.5"$/],
    [{ min_p: 0.9999999999 }, /^min_p must be in \[0, 1\) \(and not 1 as a float32\), got 0\.9999999999$/],
    [{ repetition_penalty: 101 }, /^repetition_penalty must be in \[0\.01, 100\] \(1: off\), got 101$/],
    [{ seed: 2 ** 32 }, /^seed must be an integer in \[0, 2\^32\), got 4294967296$/],
    [{ stop: '' }, /^stop must be a non-empty string or a list of them, got ""$/],
    [{ stop: ['a', 3] }, /^stop must be .*, got \["a",3\]$/],
    [{ stop_token_ids: 5 }, /^stop_token_ids must be a list of token ids \(non-negative integers\), got 5$/],
    [{ stop_token_ids: [1, -2] }, /^stop_token_ids must be .*, got \[1,-2\]$/],
  ];
  for (const [fields, message] of refused) {
    assert.throws(generateWith(fields), { name: 'InvalidArgumentError', message }, JSON.stringify(fields));
    // chat requests share the settings' rules
    assert.throws(
      () => normalizeChatRequest({ messages: [{ role: 'user', content: 'x' }], ...fields }, limits),
      { name: 'InvalidArgumentError', message },
      JSON.stringify(fields),
    );
  }
  // null, as OpenAI clients send for an unset field, is the default
  assert.equal(normalizeGenerateRequest({ prompt: 'x', max_tokens: null } as never, limits).settings.maxTokens, 256);
});

test('the prompt is text or token ids of the vocabulary, not both and not neither', () => {
  assert.throws(generateWith({ prompt: undefined }), { message: /^generate needs a non-empty `prompt` or `tokens`$/ });
  assert.throws(generateWith({ tokens: [1] }), { message: /^give `prompt` or `tokens`, not both$/ });
  assert.throws(generateWith({ prompt: 42 }), { message: /^prompt must be a string, got 42$/ });
  assert.throws(generateWith({ prompt: undefined, tokens: [] }), {
    message: /^tokens must be a non-empty list of token ids, got \[\]$/,
  });
  assert.throws(generateWith({ prompt: undefined, tokens: [5, 100] }), {
    name: 'InvalidArgumentError',
    message: /^tokens\[1\] must be a token id, an integer in 0\.\.99, got 100$/,
  });
  assert.throws(() => normalizeGenerateRequest(null as never, limits), {
    message: /^the request must be an object, got null$/,
  });
});

test('messages need roles and text; text that cannot fit the context is refused before tokenizing', () => {
  const chat = (messages: unknown) => () => normalizeChatRequest({ messages } as never, limits);
  assert.throws(chat([]), { name: 'InvalidArgumentError', message: /^messages must be a non-empty array$/ });
  assert.throws(
    chat([
      { role: 'user', content: 'x' },
      { role: 'tool', content: 'y' },
    ]),
    {
      message: /^messages\[1\] needs a role \(system, user or assistant\) and string content$/,
    },
  );
  const messages = [{ role: 'user' as const, content: 'x'.repeat(640) }];
  assert.equal(normalizeChatRequest({ messages, stream: true }, limits).stream, true);
  assert.equal(normalizeChatRequest({ messages }, limits).messages, messages);
  assert.throws(chat([...messages, { role: 'user', content: 'y' }]), {
    name: 'ContextOverflowError',
    message: /^the messages have 641 characters: more than the 64-token context can take \(640 characters/,
  });
  assert.throws(generateWith({ prompt: 'x'.repeat(641) }), {
    name: 'ContextOverflowError',
    message: /^the prompt has 641 characters/,
  });
});

test('once tokenized, the prompt must be non-empty and leave room for max_tokens', () => {
  const { settings } = normalizeGenerateRequest({ prompt: 'x', max_tokens: 14 }, limits);
  checkPromptFits(50, settings, limits);
  assert.throws(() => checkPromptFits(51, settings, limits), {
    name: 'ContextOverflowError',
    message:
      /^the prompt has 51 tokens and max_tokens is 14: 65 exceed the context of 64 tokens; shorten the conversation or lower max_tokens$/,
  });
  assert.throws(() => checkPromptFits(0, settings, limits), {
    name: 'InvalidArgumentError',
    message: /^the prompt is empty once tokenized/,
  });
});
