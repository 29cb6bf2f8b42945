import { ModelFormatError } from './errors.ts';

/**
 * Deeper than any model file nests (tokenizer.json: 6 levels). JSON.parse itself copes with any
 * depth, but whatever walks the value afterwards recursively (JSON.stringify, structuredClone when
 * a worker posts it, the tokenizer's constructors) overflows the stack near 10^4 levels.
 */
export const MAX_JSON_DEPTH = 64;

/** The text of a model's JSON file, parsed: ModelFormatError naming `file` if it is not JSON or nests too deep. */
export function parseJsonFile(text: string, file: string): unknown {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new ModelFormatError(file, `nests more than ${MAX_JSON_DEPTH} levels deep: not a model file`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ModelFormatError(file, `not valid JSON (${(cause as Error).message})`);
  }
}

/** Whether brackets outside strings nest deeper than `limit`: one pass, no recursion. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const PREVIEW_ITEMS = 8;
const PREVIEW_STRING = 60;

/**
 * A value from a model file as short JSON for an error message: strings, lists and objects are cut
 * (`…`) and nesting below three levels is elided, so neither a huge nor a deep value makes the
 * message huge or overflows the stack the way JSON.stringify does.
 */
export function jsonPreview(value: unknown, levels = 3): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > PREVIEW_STRING ? `${value.slice(0, PREVIEW_STRING)}…` : value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (levels === 0) return Array.isArray(value) ? '[…]' : '{…}';
  const more = (n: number) => (n > PREVIEW_ITEMS ? ',…' : '');
  if (Array.isArray(value))
    return `[${value
      .slice(0, PREVIEW_ITEMS)
      .map((v) => jsonPreview(v, levels - 1))
      .join(',')}${more(value.length)}]`;
  const keys = Object.keys(value);
  const entries = keys
    .slice(0, PREVIEW_ITEMS)
    .map((k) => `${jsonPreview(k)}:${jsonPreview((value as Record<string, unknown>)[k], levels - 1)}`);
  return `{${entries.join(',')}${more(keys.length)}}`;
}
