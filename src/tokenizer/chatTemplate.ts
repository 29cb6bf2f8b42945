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

type Node = Parameters<Interpreter['evaluate']>[0];
type Value = ReturnType<Interpreter['evaluate']>;
/** The interpreter's methods hooked here: private in its typings, present at runtime (0.5.x). */
interface InterpreterInternals {
  run(program: Template['parsed']): Value;
  evaluate(node: Node, env: Environment): Value;
  applyFilter(operand: Value, filter: Node, env: Environment): Value;
  evaluateArguments(args: Node[], env: Environment): [Value[], Map<string, Value>];
}
const HookableInterpreter = Interpreter as unknown as new (env: Environment) => InterpreterInternals;

const textOf = (v: Value | undefined): string | undefined => (typeof v?.value === 'string' ? v.value : undefined);
const countOf = (v: Value | undefined): number | undefined => (typeof v?.value === 'number' ? v.value : undefined);

/** How many times `part` occurs in `text` (non-overlapping), counting no further than `limit`. */
function occurrences(text: string, part: string, limit: number): number {
  if (part === '') return Math.min(text.length + 1, limit);
  let n = 0;
  for (let at = text.indexOf(part); at >= 0 && n < limit; at = text.indexOf(part, at + part.length)) n++;
  return n;
}

/** Lines and deepest nesting of a value, as tojson(indent=...) lays it out (no recursion). */
function jsonLayout(root: Value): { lines: number; depth: number } {
  let lines = 0;
  let depth = 0;
  const pending: [unknown, number][] = [[root.value, 0]];
  while (pending.length > 0) {
    const [v, d] = pending.pop()!;
    lines++;
    depth = Math.max(depth, d);
    const children = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : [];
    for (const child of children) pending.push([(child as Value).value, d + 1]);
  }
  return { lines, depth };
}

/**
 * The length of the string an amplifying filter or method would build, known before it runs:
 * `indent`, `replace`, `join` and `tojson(indent=...)` multiply their input (`indent(260000000)`,
 * `replace(..., count=250)` built 526M characters in one step before the size check saw them).
 */
function grownLength(name: string, operand: Value, args: Value[], kwargs: Map<string, Value>): number {
  const text = textOf(operand);
  if (name === 'indent' && text !== undefined) {
    const width = args[0] ?? kwargs.get('width');
    const pad = textOf(width)?.length ?? Math.max(0, countOf(width) ?? 4);
    return text.length + pad * (occurrences(text, '\n', Infinity) + 1);
  }
  if (name === 'replace' && text !== undefined) {
    const [from, to] = [textOf(args[0]), textOf(args[1])];
    if (from === undefined || to === undefined) return 0;
    const count = countOf(args[2] ?? kwargs.get('count'));
    const limit = count === undefined || count < 0 ? Infinity : count;
    return text.length + occurrences(text, from, limit) * (to.length - from.length);
  }
  if (name === 'join') {
    // a list's items (a number or boolean prints short), or a string's characters
    const items = Array.isArray(operand.value) ? (operand.value as Value[]) : undefined;
    const count = items?.length ?? text?.length ?? 0;
    const chars = items ? items.reduce((n, item) => n + (textOf(item)?.length ?? 24), 0) : count;
    const separator = textOf(args[0] ?? kwargs.get('separator'))?.length ?? 0;
    return chars + Math.max(0, count - 1) * separator;
  }
  if (name === 'tojson') {
    const indent = Math.max(0, countOf(kwargs.get('indent')) ?? 0);
    if (indent === 0) return 0;
    const { lines, depth } = jsonLayout(operand);
    return lines * indent * depth;
  }
  return 0;
}

/** The Jinja interpreter with a step budget and a size limit on the strings and lists it builds. */
class BudgetedInterpreter extends HookableInterpreter {
  private steps = 0;

  constructor(
    env: Environment,
    private readonly limits: TemplateLimits,
  ) {
    super(env);
  }

  override evaluate(node: Node, env: Environment): Value {
    this.charge(1);
    if (node?.type === 'CallExpression') this.checkReplaceCall(node as unknown as CallNode, env);
    const value = super.evaluate(node, env);
    const v = value.value;
    if (typeof v === 'string' || Array.isArray(v)) {
      if (v.length > this.limits.maxChars)
        throw new TemplateLimitError(
          `it built a value of ${v.length} characters or elements (the limit is ${this.limits.maxChars})`,
        );
      // A loop with an empty body evaluates nothing per iteration: charge what it may iterate over up front.
      this.charge(Array.isArray(v) ? v.length : Math.ceil(v.length / 64));
    }
    return value;
  }

  /** Filters (`x | indent(...)`, `{% filter %}`): refused before they build a string over the limit. */
  override applyFilter(operand: Value, filter: Node, env: Environment): Value {
    const call = filter as unknown as CallNode & { value?: string };
    const name = filter?.type === 'CallExpression' ? call.callee.value : call.value;
    if (name === 'indent' || name === 'replace' || name === 'join' || name === 'tojson') {
      const [args, kwargs] =
        filter?.type === 'CallExpression' ? this.evaluateArguments(call.args, env) : [[], new Map<string, Value>()];
      this.checkSize(grownLength(name, operand, args, kwargs));
    }
    return super.applyFilter(operand, filter, env);
  }

  /** `text.replace(old, new, count)`, the method: refused before it builds a string over the limit. */
  private checkReplaceCall(node: CallNode, env: Environment): void {
    const callee = node.callee;
    if (callee.type !== 'MemberExpression' || callee.computed || callee.property?.value !== 'replace') return;
    const object = this.evaluate(callee.object, env);
    if (textOf(object) === undefined) return;
    const [args, kwargs] = this.evaluateArguments(node.args, env);
    this.checkSize(grownLength('replace', object, args, kwargs));
  }

  /** Before a filter or method runs: what it would build. */
  private checkSize(length: number): void {
    if (length > this.limits.maxChars)
      throw new TemplateLimitError(
        `it builds a value of ${length} characters or elements (the limit is ${this.limits.maxChars})`,
      );
  }

  private charge(steps: number): void {
    this.steps += steps;
    if (this.steps > this.limits.maxSteps)
      throw new TemplateLimitError(
        `it ran more than ${this.limits.maxSteps} evaluation steps (a loop that may never end)`,
      );
  }
}

/** The parts of a call's syntax tree read above. */
interface CallNode {
  type: string;
  callee: { type: string; value?: string; computed?: boolean; object: Node; property?: { value?: string } };
  args: Node[];
}

/** `range` as Python's, refusing to build more than `max` elements. */
function boundedRange(max: number) {
  return (start: number, stop?: number, step = 1): number[] => {
    if (stop === undefined) [start, stop] = [0, start];
    if (step === 0) throw new Error('range() step must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (!(count <= max))
      throw new TemplateLimitError(`it asked for range() of ${count} elements (the limit is ${max})`);
    return Array.from({ length: count }, (_, i) => start + i * step);
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** transformers' `strftime_now` for the directives chat templates use (dates in system prompts). */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, string> = {
    Y: String(d.getFullYear()),
    m: pad(d.getMonth() + 1),
    d: pad(d.getDate()),
    b: MONTHS[d.getMonth()],
    H: pad(d.getHours()),
    M: pad(d.getMinutes()),
    '%': '%',
  };
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
    if (source.length > limits.maxChars)
      throw new ModelFormatError(
        'tokenizer_config.json',
        `chat_template has ${source.length} characters (the limit is ${limits.maxChars})`,
      );
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
      true: true,
      false: false,
      none: null,
      True: true,
      False: false,
      None: null,
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
      if (err instanceof TemplateRefusal)
        throw new InvalidArgumentError(`the model's chat template refused these messages: ${message}`);
      throw new ModelFormatError(
        'tokenizer_config.json',
        `chat_template ${err instanceof TemplateLimitError ? 'was stopped:' : 'failed:'} ${message}`,
      );
    }
    if (typeof text !== 'string')
      throw new ModelFormatError('tokenizer_config.json', 'chat_template did not produce text');
    return text;
  }
}
