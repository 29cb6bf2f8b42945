import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// `vite` serves the chat demo (demo/, with public/ for the embedded model). The package itself is
// built by tools/buildPackage.ts.
export default defineConfig({
  root: 'demo',
  publicDir: '../public',
  // Missing files must be 404s, not the page (model loaders probe for optional files).
  appType: 'mpa',
  // The demo imports the package by name, exactly as an application would.
  resolve: { alias: { 'bitnet-webgpu': `${root}src/index.ts` } },
  worker: { format: 'es' },
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022' },
});
