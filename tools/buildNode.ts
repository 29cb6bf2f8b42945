// Bundles Node entry points (CLI, benchmarks) into dist-node/*.js so they run with plain `node`
// and the production dependencies only (e.g. on a GPU machine with nothing but Node installed),
// and, with --lib, the package's Node entry.
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const rawText: Plugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -4)),
      namespace: 'raw-text',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

// --lib: the package's Node entry (dist/node.js), dependencies left to npm.
const lib = process.argv.includes('--lib');
const entries = lib ? ['src/node/index.ts'] : process.argv.slice(2);
if (entries.length === 0) {
  console.error('usage: buildNode.ts ENTRY.ts [...] | --lib');
  process.exit(2);
}
await build({
  entryPoints: entries,
  ...(lib ? { outfile: 'dist/node.js' } : { outdir: 'dist-node' }),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: lib ? ['webgpu', '@huggingface/*', 'idb-keyval'] : ['webgpu'],
  plugins: [rawText],
  logLevel: 'warning',
});
