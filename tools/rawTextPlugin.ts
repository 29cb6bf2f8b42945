// `import text from './x.wgsl?raw'` in the esbuild builds (tools/buildPackage.ts, tools/buildNode.ts)
// and under Vite (vite.config.ts, e2e/browser.ts): the text tools/rawImport.ts gives, so a WGSL
// file arrives with its includes expanded, as in Node.
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin as VitePlugin } from 'vite';
import path from 'node:path';
import { rawImport } from './rawImport.ts';

export const rawText: EsbuildPlugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -4)),
      namespace: 'raw-text',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, (args) => {
      const { text, files } = rawImport(args.path);
      return { contents: text, loader: 'text', watchFiles: files };
    });
  },
};

/** Vite's own `?raw` gives a file as it is: this answers first for WGSL files (in workers too). */
export function wgslRawText(): VitePlugin {
  return {
    name: 'wgsl-raw-text',
    enforce: 'pre',
    load(id) {
      const [file, query] = id.split('?', 2);
      if (!file.endsWith('.wgsl') || !new URLSearchParams(query).has('raw')) return null;
      const { text, files } = rawImport(file);
      for (const f of files) this.addWatchFile(f);
      return `export default ${JSON.stringify(text)};`;
    },
  };
}
