import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { wgslRawText } from './tools/rawTextPlugin.ts';

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
  // Shaders arrive with their includes expanded, in the page and in the engine's worker.
  plugins: [wgslRawText()],
  worker: { format: 'es', plugins: () => [wgslRawText()] },
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022' },
});
