// Headless Chromium (Debian's, never a downloaded one) and a Vite server over the repository,
// shared by the Playwright suites.
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Connect, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A Vite dev server rooted at the repository, on a free localhost port (a secure context). */
export async function startRepoServer(middleware?: Connect.NextHandleFunction): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    root: repoRoot,
    configFile: false,
    logLevel: 'error',
    appType: 'mpa',
    plugins: middleware ? [{ name: 'test-files', configureServer: (s) => void s.middlewares.use(middleware) }] : [],
    server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [repoRoot] } },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** The chat demo as `npm run demo` serves it (vite.config.ts), on a free localhost port. */
export async function startDemoServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: `${repoRoot}vite.config.ts`,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** Screenshots for people to look at: e2e/screenshots/NAME.png (not committed). */
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
