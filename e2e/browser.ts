// Headless Chromium (Debian's, never a downloaded one) and a Vite server over the repository,
// shared by the Playwright suites.
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Connect, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import { wgslRawText } from '../tools/rawTextPlugin.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Flags for every launch: WebGPU on, and none of Chromium's background connections. */
const COMMON_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * WebGPU on an NVIDIA GPU through Vulkan. Headless modes cannot get that adapter (they ask the
 * driver for VK_EXT_headless_surface, which NVIDIA's lacks), so the browser runs headed on an X
 * server (Xvfb on a machine without a display: tools/withXvfb.sh), with the Vulkan surface off.
 */
const GPU_FLAGS = [
  '--ozone-platform=x11',
  '--enable-features=Vulkan',
  '--use-vulkan=native',
  '--disable-vulkan-surface',
  '--use-gl=angle',
  '--use-angle=vulkan',
  '--ignore-gpu-blocklist',
];

/**
 * Chromium with WebGPU: by default headless on SwiftShader (a CPU adapter, as in CI); with
 * `gpu: true`, headed on the machine's GPU (needs DISPLAY).
 */
export async function launchChromium(options: { gpu?: boolean } = {}): Promise<Browser> {
  if (options.gpu && !process.env.DISPLAY) {
    throw new Error(
      'Chromium on the GPU runs headed and needs an X display: run the command under tools/withXvfb.sh, or set DISPLAY',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: !options.gpu,
    args: options.gpu ? [...COMMON_FLAGS, ...GPU_FLAGS] : [...COMMON_FLAGS, '--disable-gpu'],
  });
}

/** A Vite dev server rooted at the repository, on a free localhost port (a secure context). */
export async function startRepoServer(
  middleware?: Connect.NextHandleFunction,
): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    root: repoRoot,
    configFile: false,
    logLevel: 'error',
    appType: 'mpa',
    plugins: [
      wgslRawText(),
      ...(middleware
        ? [{ name: 'test-files', configureServer: (s: ViteDevServer) => void s.middlewares.use(middleware) }]
        : []),
    ],
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
