// WGSL has no modules. A kernel names the snippets it needs in lines of its own,
//   // #include "lib/stepUniform.wgsl"
// (a path relative to the including file), and composeWgsl expands them when the shader is
// imported (tools/rawImport.ts, for Vite, Node and esbuild alike). A kernel may also leave a
//   // #slot ternaryDot
// for its wrapper to fill when it creates the pipeline (fillSlots): a variant the adapter decides
// (the dot product), or constants the wrapper owns (the attention kernels' limits).
import { ShaderError } from '../errors.ts';

/** The text of the shader file at `url`, or undefined when there is none. */
export type ReadShaderFile = (url: string) => string | undefined;

const INCLUDE = /^\s*\/\/\s*#include\s+"([^"]+)"\s*$/;
const SLOT = /^\s*\/\/\s*#slot\s+([A-Za-z_]\w*)\s*$/;
/** Global directives, which WGSL wants before every declaration. */
const DIRECTIVE = /^\s*((?:enable|requires|diagnostic)\b[^;]*;)\s*(?:\/\/.*)?$/;

/** The directive a line holds (spaces normalized, comment dropped), if it is one. */
function directiveOf(line: string): string | undefined {
  return DIRECTIVE.exec(line)?.[1].replace(/\s+/g, ' ');
}

/** The file a URL names, for messages. */
function fileName(url: string): string {
  return decodeURIComponent(new URL(url).pathname);
}

/** `source` without its comments (line and block), line breaks kept. */
export function stripWgslComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ''));
}

/**
 * The WGSL of the shader at `url` with its includes expanded in place, each file once (a file
 * included again, directly or through another, is left out), and every `enable` / `requires` /
 * `diagnostic` directive moved to the top once. Included files are snippets: they may not declare
 * a binding (the kernel that includes them does) nor an entry point.
 */
export function composeWgsl(url: string, read: ReadShaderFile): string {
  const root = read(url);
  if (root === undefined) throw new ShaderError(`shader ${fileName(url)} does not exist`);
  const directives = new Set<string>();
  const included = new Set([url]);
  const expand = (fileUrl: string, text: string): string[] => {
    const lines: string[] = [];
    for (const line of text.split('\n')) {
      const directive = directiveOf(line);
      if (directive) {
        directives.add(directive);
        continue;
      }
      const include = INCLUDE.exec(line);
      if (!include) {
        lines.push(line);
        continue;
      }
      const target = new URL(include[1], fileUrl).href;
      if (included.has(target)) continue;
      included.add(target);
      const snippet = read(target);
      if (snippet === undefined) {
        throw new ShaderError(`${fileName(fileUrl)}: #include "${include[1]}": no such file (${fileName(target)})`);
      }
      checkSnippet(target, snippet);
      lines.push(...expand(target, snippet));
    }
    return lines;
  };
  const body = expand(url, root);
  return [...directives, ...body].join('\n');
}

function checkSnippet(url: string, text: string): void {
  const code = stripWgslComments(text);
  if (/@binding\s*\(/.test(code)) {
    throw new ShaderError(
      `${fileName(url)} declares a binding: a snippet leaves its bindings to the kernels that include it`,
    );
  }
  if (/@compute\b/.test(code)) {
    throw new ShaderError(`${fileName(url)} has an entry point: a kernel cannot be included, only snippets`);
  }
}

/**
 * Kernel `label`'s composed WGSL with each `// #slot NAME` line replaced by `fillers[NAME]` (whose
 * directives move to the top). Every slot must be filled and every filler must have its slot; a
 * source with an `#include` left is one that was not composed when it was imported.
 */
export function fillSlots(label: string, source: string, fillers: Readonly<Record<string, string>> = {}): string {
  const directives: string[] = [];
  const filled = new Set<string>();
  const lines = source.split('\n').flatMap((line) => {
    if (INCLUDE.test(line)) {
      throw new ShaderError(
        `kernel ${label}: its WGSL still has the line "${line.trim()}": shaders must be imported with ?raw through tools/rawImport.ts (the Vite, Node or esbuild hook), which expands includes`,
      );
    }
    const slot = SLOT.exec(line);
    if (!slot) return [line];
    const name = slot[1];
    const filler = fillers[name];
    if (filler === undefined) throw new ShaderError(`kernel ${label}: nothing fills its slot "${name}"`);
    if (filled.has(name)) throw new ShaderError(`kernel ${label}: slot "${name}" appears twice`);
    filled.add(name);
    return filler.split('\n').filter((l) => {
      const directive = directiveOf(l);
      if (directive) directives.push(directive);
      return !directive;
    });
  });
  const unused = Object.keys(fillers).filter((name) => !filled.has(name));
  if (unused.length > 0) {
    throw new ShaderError(`kernel ${label} has no slot ${unused.map((n) => `"${n}"`).join(', ')} to fill`);
  }
  const present = new Set(lines.map(directiveOf));
  return [...new Set(directives.filter((d) => !present.has(d))), ...lines].join('\n');
}
