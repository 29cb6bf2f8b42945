// Bundles Node entry points (CLI, benchmarks) into dist-node/*.js so they run with plain `node`
// and the production dependencies only (e.g. on a GPU machine with nothing but Node installed).
import { build } from 'esbuild';
import { rawText } from './rawTextPlugin.ts';

const entries = process.argv.slice(2);
if (entries.length === 0) {
  console.error('usage: buildNode.ts ENTRY.ts [...]');
  process.exit(2);
}
await build({
  entryPoints: entries,
  outdir: 'dist-node',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  plugins: [rawText],
  logLevel: 'warning',
});
