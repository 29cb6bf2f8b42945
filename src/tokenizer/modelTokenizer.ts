import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFormatError } from '../errors.ts';
import { BITNET_2B_TEMPLATE, ChatTemplate } from './chatTemplate.ts';
import { catastrophicBacktracking } from './regexBacktracking.ts';
import { jsonPreview } from '../untrustedJson.ts';

/** How chat messages become a prompt: the model's template, BitNet-2B's format, or plain text. */
export type ChatFormat = 'template' | 'bitnet-2b' | 'plain';

type Json = Record<string, unknown>;

/**
 * Refuses tokenizer.json regular expressions (`{"Regex": ...}` in the normalizer, pre-tokenizer,
 * post-processor or decoder) that could backtrack catastrophically: see catastrophicBacktracking.
 */
function checkRegexes(tokenizerJson: Json): void {
  const pending: [string, unknown][] = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'].map((k) => [
    k,
    tokenizerJson[k],
  ]);
  const seen = new Set<object>();
  while (pending.length > 0) {
    const [path, value] = pending.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    const regex = (value as Json).Regex;
    const risk = typeof regex === 'string' ? catastrophicBacktracking(regex) : undefined;
    if (risk)
      throw new ModelFormatError(
        'tokenizer.json',
        `${path}.Regex ${jsonPreview(regex)} is refused: ${risk} can backtrack catastrophically (encoding some texts would block for minutes)`,
      );
    for (const [k, child] of Object.entries(value))
      pending.push([Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, child]);
  }
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/**
 * A model's tokenizer (tokenizer.json through @huggingface/tokenizers) and its chat template
 * (tokenizer_config.json's chat_template, rendered by @huggingface/jinja).
 */
export class ModelTokenizer {
  readonly chatFormat: ChatFormat;
  /** Ids that end a reply: the tokenizer's eos and, for chat formats, `<|eot_id|>`. */
  readonly stopIds: number[];
  /**
   * The most characters one token stands for (its longest vocabulary entry): a text longer than
   * this times a context's tokens cannot fit it, which is known before the text is tokenized.
   */
  readonly maxCharsPerToken: number;
  private readonly tokenizer: Tokenizer;
  private readonly template?: ChatTemplate;

  constructor(tokenizerJson: unknown, tokenizerConfig: unknown, vocabSize: number) {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null)
      throw new ModelFormatError('tokenizer.json', 'expected a JSON object');
    const config = (tokenizerConfig ?? {}) as Json;
    if (typeof config !== 'object' || Array.isArray(config))
      throw new ModelFormatError('tokenizer_config.json', 'expected a JSON object');
    checkRegexes(tokenizerJson as Json);
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, config);
      let longest = 1;
      for (const token of this.tokenizer.get_vocab().keys())
        if (typeof token === 'string') longest = Math.max(longest, token.length);
      this.maxCharsPerToken = longest;
    } catch (err) {
      throw new ModelFormatError('tokenizer.json', `cannot be loaded: ${(err as Error).message}`);
    }
    const special: Record<string, string> = {};
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const t = tokenText(config[key]);
      if (t !== undefined) special[key] = t;
    }
    const eot = this.tokenizer.token_to_id('<|eot_id|>');
    let source = typeof config.chat_template === 'string' ? config.chat_template : undefined;
    if (Array.isArray(config.chat_template)) {
      const named = (config.chat_template as Json[]).find((t) => t?.name === 'default');
      source = typeof named?.template === 'string' ? named.template : undefined;
    }
    if (source) this.chatFormat = 'template';
    else if (eot !== undefined && vocabSize >= 128000) this.chatFormat = 'bitnet-2b';
    else this.chatFormat = 'plain';
    if (this.chatFormat !== 'plain')
      this.template = new ChatTemplate(source ?? BITNET_2B_TEMPLATE, { bos_token: '', eos_token: '', ...special });
    const eos = special.eos_token === undefined ? undefined : this.tokenizer.token_to_id(special.eos_token);
    this.stopIds = [
      ...new Set([eos, this.chatFormat === 'plain' ? undefined : eot].filter((id): id is number => id !== undefined)),
    ];
  }

  /** Token ids of `text`; `addSpecialTokens` adds what the tokenizer's post-processor adds (BOS). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // @huggingface/tokenizers refuses an empty list; a reply that is only EOS decodes to ''
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  /** The prompt text for `messages`; in plain mode the contents joined by new lines (text to continue). */
  renderChat(messages: readonly { role: 'system' | 'user' | 'assistant'; content: string }[]): string {
    if (!this.template) return messages.map((m) => m.content).join('\n');
    return this.template.render(messages);
  }

  /** Prompt ids for chat messages (the template writes special tokens as text). */
  encodeChat(messages: readonly { role: 'system' | 'user' | 'assistant'; content: string }[]): number[] {
    const text = this.renderChat(messages);
    return this.encode(text, { addSpecialTokens: this.chatFormat === 'plain' });
  }
}
