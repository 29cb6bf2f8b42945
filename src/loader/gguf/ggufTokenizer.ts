// A GGUF file's tokenizer (llama.cpp's tokenizer.ggml.* keys) as the tokenizer.json and
// tokenizer_config.json of the checkpoint it was converted from, for ModelTokenizer
// (@huggingface/tokenizers). Sources: docs/gguf.md.
import { CONFIG_LIMITS } from '../../model/config.ts';
import type { GgufMetadata } from './ggufMetadata.ts';

/** llama.cpp's token types (gguf-py TokenType). */
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;
const BYTE = 6;

/** Llama 3's pre-tokenizer regex, exactly as its tokenizer.json gives it. */
export const LLAMA3_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * tokenizer.ggml.pre values and what llama.cpp (llama-vocab.cpp) does with them: the Llama 3
 * family (its regex, whole-word vocabulary hits skip the merges, BOS added) and GPT-2 (byte-level
 * BPE with GPT-2's regex, no BOS).
 */
const PRE_TOKENIZERS: Readonly<Record<string, 'llama3' | 'gpt2'>> = {
  llama3: 'llama3',
  'llama-v3': 'llama3',
  'llama-bpe': 'llama3',
  falcon3: 'llama3',
  'falcon-h1': 'llama3',
  pixtral: 'llama3',
  'midm-2.0': 'llama3',
  lfm2: 'llama3',
  'gpt-2': 'gpt2',
};

export interface TokenizerFiles {
  /** tokenizer.json's content. */
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json's content. */
  tokenizerConfig: Record<string, unknown>;
}

/** The byte-level BPE (llama.cpp's "gpt2" model) in a GGUF file's metadata as tokenizer files. */
export function ggufTokenizerFiles(m: GgufMetadata): TokenizerFiles {
  const model = m.string('tokenizer.ggml.model');
  if (model !== 'gpt2')
    m.fail(
      'tokenizer.ggml.model',
      `is ${JSON.stringify(model.slice(0, 40))}; only "gpt2" (byte-level BPE, as Llama 3 and BitNet b1.58 2B-4T use) is supported`,
    );
  const preName = m.string('tokenizer.ggml.pre', 'default');
  const pre = PRE_TOKENIZERS[preName];
  if (!pre)
    m.fail(
      'tokenizer.ggml.pre',
      `is ${JSON.stringify(preName.slice(0, 40))}; supported: ${Object.keys(PRE_TOKENIZERS).join(', ')}`,
    );

  const tokens = m.stringArray('tokenizer.ggml.tokens');
  if (tokens.length === 0 || tokens.length > CONFIG_LIMITS.vocab_size)
    m.fail('tokenizer.ggml.tokens', `holds ${tokens.length} tokens, expected 1 to ${CONFIG_LIMITS.vocab_size}`);
  const types = m.has('tokenizer.ggml.token_type') ? m.intArray('tokenizer.ggml.token_type') : undefined;
  if (types && types.length !== tokens.length)
    m.fail('tokenizer.ggml.token_type', `holds ${types.length} types for ${tokens.length} tokens`);

  const vocab: Record<string, number> = {};
  const added: Record<string, unknown>[] = [];
  const seen = new Map<string, number>();
  for (let id = 0; id < tokens.length; id++) {
    const token = tokens[id];
    const prior = seen.get(token);
    if (prior !== undefined)
      m.fail('tokenizer.ggml.tokens', `token ${id} ${JSON.stringify(token.slice(0, 40))} repeats token ${prior}`);
    seen.set(token, id);
    const type = types ? types[id] : NORMAL;
    if (type === CONTROL || type === USER_DEFINED || type === UNKNOWN) {
      const special = type !== USER_DEFINED;
      added.push({
        id,
        content: token,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: !special,
        special,
      });
    } else if (type === NORMAL || type === UNUSED || type === BYTE) vocab[token] = id;
    else m.fail('tokenizer.ggml.token_type', `token ${id} has type ${type}, which llama.cpp does not define (1..6)`);
  }

  const merges = m.stringArray('tokenizer.ggml.merges').map((merge, i) => {
    // llama.cpp splits at the first space after the first character (a token may start with one)
    const at = merge.indexOf(' ', 1);
    if (at < 0) m.fail('tokenizer.ggml.merges', `merge ${i} ${JSON.stringify(merge.slice(0, 40))} is not "left right"`);
    return [merge.slice(0, at), merge.slice(at + 1)];
  });

  const special = (k: string) => {
    const key = `tokenizer.ggml.${k}_token_id`;
    if (!m.has(key)) return undefined;
    const id = m.uint(key, tokens.length - 1);
    return { id, token: tokens[id] };
  };
  const bos = special('bos');
  const eos = special('eos');
  const unk = special('unknown');
  const pad = special('padding');
  const addBos = m.bool('tokenizer.ggml.add_bos_token', pre === 'llama3');
  const addEos = m.bool('tokenizer.ggml.add_eos_token', false);
  if (addBos && !bos) m.fail('tokenizer.ggml.add_bos_token', 'is true, but tokenizer.ggml.bos_token_id is missing');
  if (addEos && !eos) m.fail('tokenizer.ggml.add_eos_token', 'is true, but tokenizer.ggml.eos_token_id is missing');

  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: pre === 'gpt2' };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer:
      pre === 'gpt2'
        ? byteLevel
        : {
            type: 'Sequence',
            pretokenizers: [
              { type: 'Split', pattern: { Regex: LLAMA3_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
              byteLevel,
            ],
          },
    post_processor: postProcessor(addBos ? bos : undefined, addEos ? eos : undefined),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk?.token ?? null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: pre === 'llama3',
      vocab,
      merges,
    },
  };

  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_bos_token: addBos,
    add_eos_token: addEos,
    // llama.cpp cleans up spaces before punctuation when detokenizing these vocabularies
    clean_up_tokenization_spaces: true,
  };
  if (bos) tokenizerConfig.bos_token = bos.token;
  if (eos) tokenizerConfig.eos_token = eos.token;
  if (unk) tokenizerConfig.unk_token = unk.token;
  if (pad) tokenizerConfig.pad_token = pad.token;
  if (m.has('tokenizer.chat_template')) tokenizerConfig.chat_template = m.string('tokenizer.chat_template');
  return { tokenizerJson, tokenizerConfig };
}

type Special = { id: number; token: string } | undefined;

/** What encoding with special tokens adds: BOS and/or EOS around the text (TemplateProcessing), or nothing. */
function postProcessor(bos: Special, eos: Special): Record<string, unknown> {
  if (!bos && !eos) return { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
  const around = (seq: 'A' | 'B', typeId: number) => [
    ...(bos ? [{ SpecialToken: { id: bos.token, type_id: typeId } }] : []),
    { Sequence: { id: seq, type_id: typeId } },
    ...(eos ? [{ SpecialToken: { id: eos.token, type_id: typeId } }] : []),
  ];
  const specials: Record<string, unknown> = {};
  for (const s of [bos, eos]) if (s) specials[s.token] = { id: s.token, ids: [s.id], tokens: [s.token] };
  return {
    type: 'TemplateProcessing',
    single: around('A', 0),
    pair: [...around('A', 0), ...around('B', 1)],
    special_tokens: specials,
  };
}
