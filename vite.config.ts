import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// `vite` serves the chat demo (demo/, with public/ for the embedded model);
// `vite build --mode lib` builds the browser library into dist/.
export default defineConfig(({ mode }) =>
  mode === 'lib'
    ? {
        build: {
          lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
          outDir: 'dist',
          copyPublicDir: false,
          emptyOutDir: false,
          target: 'es2022',
          sourcemap: true,
          rollupOptions: { external: [/^@huggingface\//, 'idb-keyval', 'webgpu', /^node:/] },
        },
        worker: { format: 'es' },
      }
    : {
        root: 'demo',
        publicDir: '../public',
        // Missing files must be 404s, not the page (model loaders probe for optional files).
        appType: 'mpa',
        // The demo imports the package by name, exactly as an application would.
        resolve: { alias: { 'bitnet-webgpu': `${root}src/index.ts` } },
        worker: { format: 'es' },
        build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022' },
      },
);
