import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { InvalidArgumentError, ModelFormatError } from '../errors.ts';

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

/**
 * Limits for rendering a template that came with a model. A template is data from the network:
 * the Jinja interpreter cannot reach the page (no attribute access to JS objects, no imports),
 * but `{% for i in range(10**9) %}` or nested loops would still stall the thread, so work is counted.
 */
export interface TemplateLimits {
  /** Expression and statement evaluations per render. */
  maxSteps: number;
  /** Characters of any one string the template builds, and of the prompt. */
  maxChars: number;
  /** Elements of one `range(...)`. */
  maxRange: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { maxSteps: 300_000, maxChars: 4 * 2 ** 20, maxRange: 100_000 };

class TemplateLimitError extends Error {}
/** The template's own `raise_exception(...)`: it refuses the messages (e.g. roles that do not alternate). */
class TemplateRefusal extends Error {}

/** The Jinja interpreter with a step budget and a size limit on the strings and lists it builds. */
class BudgetedInterpreter extends Interpreter {
  private steps = 0;

  constructor(
    env: Environment,
    private readonly limits: TemplateLimits,
  ) {
    super(env);
  }

  override evaluate(...args: Parameters<Interpreter['evaluate']>): ReturnType<Interpreter['evaluate']> {
    this.charge(1);
    const value = super.evaluate(...args);
    const v = value.value;
    if (typeof v === 'string' || Array.isArray(v)) {
      if (v.length > this.limits.maxChars) throw new TemplateLimitError(`it built a value of ${v.length} characters or elements (the limit is ${this.limits.maxChars})`);
      // A loop with an empty body evaluates nothing per iteration: charge what it may iterate over up front.
      this.charge(Array.isArray(v) ? v.length : Math.ceil(v.length / 64));
    }
    return value;
  }

  private charge(steps: number): void {
    this.steps += steps;
    if (this.steps > this.limits.maxSteps) throw new TemplateLimitError(`it ran more than ${this.limits.maxSteps} evaluation steps (a loop that may never end)`);
  }
}

/** `range` as Python's, refusing to build more than `max` elements. */
function boundedRange(max: number) {
  return (start: number, stop?: number, step = 1): number[] => {
    if (stop === undefined) [start, stop] = [0, start];
    if (step === 0) throw new Error('range() step must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (!(count <= max)) throw new TemplateLimitError(`it asked for range() of ${count} elements (the limit is ${max})`);
    return Array.from({ length: count }, (_, i) => start + i * step);
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** transformers' `strftime_now` for the directives chat templates use (dates in system prompts). */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, string> = { Y: String(d.getFullYear()), m: pad(d.getMonth() + 1), d: pad(d.getDate()), b: MONTHS[d.getMonth()], H: pad(d.getHours()), M: pad(d.getMinutes()), '%': '%' };
  return format.replace(/%([YmdbHM%])/g, (_, f: string) => fields[f]);
}

/** A compiled chat template: messages in, the prompt text out (special tokens written as text). */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    source: string,
    private readonly specialTokens: Record<string, string>,
    private readonly limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
  ) {
    if (source.length > limits.maxChars) throw new ModelFormatError('tokenizer_config.json', `chat_template has ${source.length} characters (the limit is ${limits.maxChars})`);
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new ModelFormatError('tokenizer_config.json', `chat_template does not parse: ${(err as Error).message}`);
    }
  }

  /** Renders the prompt; a template that errors or exceeds the limits raises ModelFormatError. */
  render(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    const env = new Environment();
    const globals: Record<string, unknown> = {
      true: true, false: false, none: null, True: true, False: false, None: null,
      range: boundedRange(this.limits.maxRange),
      strftime_now: strftimeNow,
      raise_exception: (message: unknown) => {
        throw new TemplateRefusal(String(message));
      },
      messages,
      add_generation_prompt: addGenerationPrompt,
      ...this.specialTokens,
    };
    for (const [name, value] of Object.entries(globals)) env.set(name, value);
    let text: unknown;
    try {
      text = new BudgetedInterpreter(env, this.limits).run(this.template.parsed).value;
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof TemplateRefusal) throw new InvalidArgumentError(`the model's chat template refused these messages: ${message}`);
      throw new ModelFormatError('tokenizer_config.json', `chat_template ${err instanceof TemplateLimitError ? 'was stopped:' : 'failed:'} ${message}`);
    }
    if (typeof text !== 'string') throw new ModelFormatError('tokenizer_config.json', 'chat_template did not produce text');
    return text;
  }
}
