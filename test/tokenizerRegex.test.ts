// Regular expressions in tokenizer.json run synchronously on every text encoded: patterns that can
// backtrack catastrophically are refused at load, while the real tokenizers' patterns load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ModelTokenizer } from '../src/tokenizer/modelTokenizer.ts';

const embedded = JSON.parse(
  readFileSync(new URL('../public/models/bitnet-b1.58-en-11m/tokenizer.json', import.meta.url), 'utf8'),
);
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3 =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const DEEPSEEK =
  '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

/** The embedded tokenizer with Llama 3's layout: a Split on `regex`, then byte-level mapping. */
function splitTokenizer(
  regex: string,
  at: 'pre_tokenizer' | 'normalizer' | 'decoder' = 'pre_tokenizer',
): Record<string, unknown> {
  const split = { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false };
  const t = structuredClone(embedded);
  if (at === 'pre_tokenizer')
    t.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [split, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }],
    };
  if (at === 'normalizer') t.normalizer = { type: 'Replace', pattern: { Regex: regex }, content: ' ' };
  if (at === 'decoder')
    t.decoder = {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { Regex: regex }, content: ' ' }, t.decoder],
    };
  return t;
}

test('the pre-tokenizers of real tokenizers load and round-trip text', () => {
  const text = "Don't panic: 42 towels, 1234567 stars!\n\n  Done.";
  for (const json of [embedded, splitTokenizer(GPT2), splitTokenizer(LLAMA3), splitTokenizer(DEEPSEEK)]) {
    const tokenizer = new ModelTokenizer(json, {}, 4096);
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    assert.ok(ids.length > 10);
    assert.equal(tokenizer.decode(ids), text);
  }
});

test('patterns that can backtrack catastrophically are refused at load, naming the field', { timeout: 10_000 }, () => {
  // (a+)+$ took 73 s on 29 characters when it was accepted
  const refused = ['(a+)+$', '(a|aa)*b', '(\\w+\\s?)+$', '(.*,){12}x', '(?:x?y)+', '(a)\\1'];
  for (const regex of refused) {
    for (const at of ['pre_tokenizer', 'normalizer', 'decoder'] as const) {
      const t0 = performance.now();
      assert.throws(() => new ModelTokenizer(splitTokenizer(regex, at), {}, 4096), {
        name: 'ModelFormatError',
        message: new RegExp(
          `^tokenizer\\.json: ${at}\\.[\\w.\\[\\]]*pattern\\.Regex ".*" is refused: .* can backtrack catastrophically`,
        ),
      });
      assert.ok(performance.now() - t0 < 1000);
    }
  }
});
