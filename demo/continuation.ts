// The text continue mode sends: the conversation read as one text.
import type { ChatMessage } from 'bitnet-webgpu';

/** Text that starts with something that attaches to the word before it (punctuation, a closing mark). */
const ATTACHES = /^[.,;:!?%)\]}'"’”…]/u;

/**
 * The model's replies continue the text exactly as generated (their own leading spaces included);
 * a turn the person types starts a new word, so it gets a space where the two would touch:
 * "…bobble." + "Then he said" reads "…bobble. Then he said".
 */
export function continuedText(messages: readonly ChatMessage[]): string {
  let text = '';
  for (const m of messages) {
    const touching = text !== '' && !/\s$/u.test(text) && m.content !== '' && !/^\s/u.test(m.content);
    text += m.role === 'user' && touching && !ATTACHES.test(m.content) ? ` ${m.content}` : m.content;
  }
  return text;
}
