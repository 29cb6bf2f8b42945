// The npm package's JavaScript, in dist/:
//   index.js   the browser entry; dependencies stay imports, for the app's bundler (or import map);
//   worker.js  the engine's Web Worker, self-contained: import maps do not reach module workers,
//              and index.js starts it as `new Worker(new URL('./worker.js', import.meta.url))`,
//              the form bundlers recognise (esbuild leaves it as written);
//   node.js    the Node entry.
import { build, type BuildOptions } from 'esbuild';
import { rawText } from './rawTextPlugin.ts';

const dependencies = ['@huggingface/*', 'idb-keyval'];
const common: BuildOptions = { bundle: true, format: 'esm', sourcemap: true, plugins: [rawText], logLevel: 'warning' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/index.js',
    platform: 'browser',
    target: 'es2022',
    external: dependencies,
  }),
  build({
    ...common,
    entryPoints: ['src/engine/worker.ts'],
    outfile: 'dist/worker.js',
    platform: 'browser',
    target: 'es2022',
    minify: true,
  }),
  build({
    ...common,
    entryPoints: ['src/node/index.ts'],
    outfile: 'dist/node.js',
    platform: 'node',
    target: 'node20',
    external: [...dependencies, 'webgpu'],
    sourcemap: false,
  }),
]);
