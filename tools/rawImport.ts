// What `import text from './x.wgsl?raw'` yields everywhere the sources run: Vite (the demo, the
// e2e and benchmark pages), Node (tools/rawLoader.js) and esbuild (the package and Node builds).
// A WGSL file comes with its `// #include` lines expanded (src/gpu/shaderComposer.ts); any other
// file as it is, as Vite gives it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { composeWgsl } from '../src/gpu/shaderComposer.ts';

/** The text a `?raw` import of the file at `path` gives, and every file read for it. */
export function rawImport(path: string): { text: string; files: string[] } {
  if (!path.endsWith('.wgsl')) return { text: readFileSync(path, 'utf8'), files: [path] };
  const files: string[] = [];
  const text = composeWgsl(pathToFileURL(path).href, (url) => {
    const file = fileURLToPath(url);
    if (!existsSync(file)) return undefined;
    files.push(file);
    return readFileSync(file, 'utf8');
  });
  return { text, files };
}
