/**
 * Why a regular expression from a tokenizer file could backtrack catastrophically, or undefined.
 *
 * Encoding is synchronous and JavaScript's regex engine backtracks: `(a+)+$` blocks the thread for
 * minutes on 30 characters and no time limit can interrupt it. So patterns are judged by their
 * structure when the tokenizer loads, conservatively: refused are a group repeated more than once
 * (`*`, `+`, `{2,}`...) that holds a quantifier or an alternation (`(a+)+`, `(a|ab)*`, `(x?y)+`),
 * and backreferences. Real pre-tokenizers (GPT-2, Llama 3, Qwen 2, DeepSeek, Mistral) repeat only
 * single characters and classes, and quantify groups with `?` at most.
 */
export function catastrophicBacktracking(pattern: string): string | undefined {
  interface Group {
    start: number;
    /** Holds a quantifier or an alternation, at any depth. */
    risky: boolean;
  }
  const groups: Group[] = [{ start: 0, risky: false }];
  /** The group just closed, if the last atom was a group (a quantifier applies to it). */
  let closed: Group | undefined;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    const top = groups[groups.length - 1];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) return `a backreference at character ${i}`;
      // \p{..}, \P{..}, \u{..}, \x{..}: the braces belong to the escape
      i += /[pPux]/.test(next) && pattern[i + 2] === '{' ? pattern.indexOf('}', i) + 1 || pattern.length : 2;
      closed = undefined;
    } else if (c === '[') {
      i = endOfClass(pattern, i);
      closed = undefined;
    } else if (c === '(') {
      // (?:  (?=  (?!  (?<=  (?<!  (?<name>  (?>  (?i:  and (?i) (flags alone, not a group)
      const prefix = /^\(\?(?:[:=!>]|<[=!]|<[A-Za-z_]\w*>|[A-Za-z-]*[:)])/.exec(pattern.slice(i, i + 40))?.[0] ?? '(';
      if (!prefix.endsWith(')')) groups.push({ start: i, risky: false });
      i += prefix.length;
      closed = undefined;
    } else if (c === ')') {
      if (groups.length > 1) {
        closed = groups.pop()!;
        groups[groups.length - 1].risky ||= closed.risky;
      }
      i++;
    } else if (c === '|') {
      top.risky = true;
      i++;
      closed = undefined;
    } else {
      const q = quantifierAt(pattern, i);
      if (!q) {
        i++;
        closed = undefined;
        continue;
      }
      if (q.repeats && closed?.risky) {
        return `the group at character ${closed.start} is repeated (${pattern.slice(i, i + q.length)}) and holds a quantifier or an alternation`;
      }
      top.risky = true;
      i += q.length;
      if (pattern[i] === '?' || pattern[i] === '+') i++; // lazy or possessive
      closed = undefined;
    }
  }
  return undefined;
}

/** The index after the character class opening at `i`; classes may nest (Oniguruma). */
function endOfClass(pattern: string, i: number): number {
  let depth = 0;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i + 1;
  }
  return pattern.length;
}

/** The quantifier at `i`, if any, and whether it lets its atom match more than once. */
function quantifierAt(pattern: string, i: number): { length: number; repeats: boolean } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '+') return { length: 1, repeats: true };
  if (c === '?') return { length: 1, repeats: false };
  const braces = c === '{' ? /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i, i + 24)) : null;
  if (!braces || (braces[1] === '' && braces[3] === '')) return undefined; // a literal brace
  const max = braces[2] ? (braces[3] === '' ? Infinity : Number(braces[3])) : Number(braces[1]);
  return { length: braces[0].length, repeats: max > 1 };
}
