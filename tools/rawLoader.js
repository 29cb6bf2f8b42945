// Node module hook: `import text from './x.wgsl?raw'` yields the file's text, as in Vite, with a
// WGSL file's includes expanded (tools/rawImport.ts).
import { fileURLToPath } from 'node:url';
import { rawImport } from './rawImport.ts';

export async function load(url, context, nextLoad) {
  if (url.endsWith('?raw')) {
    const { text } = rawImport(fileURLToPath(url.slice(0, -4)));
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
