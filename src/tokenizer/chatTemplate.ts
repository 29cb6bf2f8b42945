import { Template } from '@huggingface/jinja';
import { ModelFormatError } from '../errors.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * microsoft/bitnet-b1.58-2B-4T's format, used when a Llama-3-vocabulary BitNet checkpoint ships no
 * chat_template: `<|begin_of_text|>User: {msg}<|eot_id|>Assistant: `.
 */
export const BITNET_2B_TEMPLATE =
  "{% for message in messages %}{% set content = message['role'] | capitalize + ': ' + message['content'] | trim + '<|eot_id|>' %}" +
  '{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}' +
  "{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

/** A compiled chat template: messages in, the prompt text out (special tokens written as text). */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    source: string,
    private readonly specialTokens: Record<string, string>,
  ) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new ModelFormatError('tokenizer_config.json', `chat_template does not parse: ${(err as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    return this.template.render({ messages, add_generation_prompt: addGenerationPrompt, ...this.specialTokens });
  }
}
