// The npm package inside web apps, as a user gets it: the packed tarball installed into a scratch
// project (in a temp directory), then used by a Vite app (dev server, and production build +
// preview, with the repository's Vite) and by a page with no bundler (an import map). Each page
// generates greedy text through the worker engine (the package's own worker, and one the page
// starts from `bitnet-webgpu/worker`) and on the main thread, and sees errors as the library's
// classes. Scratch TypeScript consumers type-check against the package's declarations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { build, createServer, preview } from 'vite';
import { launchChromium } from './browser.ts';
import { serveStaticFiles } from './staticFiles.ts';
import { installScratchProject, packPackage } from '../test/packedPackage.ts';

const repoRoot = new URL('..', import.meta.url).pathname;
const PAGES = new URL('./pages/package/', import.meta.url).pathname;
const MODEL = `${repoRoot}public/models/bitnet-b1.58-en-11m`;
const ENGINES = ['worker', 'worker from the export', 'main thread'] as const;
/** What e2e/pages/package/main.js reports for one kind of engine. */
interface EngineRun {
  text: string;
  inWorker: boolean;
  overflow?: ErrorSeen;
  missingModel?: ErrorSeen;
}
interface ErrorSeen {
  name: string;
  code?: string;
  text: string;
  classes: string[];
}
/** The page's window once main.js has run. */
type PageWindow = Window & { runEngine?(kind: string): Promise<EngineRun> };

let scratch: string;
let app: string;
let browser: Browser;
/** Greedy text per page, to compare the pages with each other. */
const texts = new Map<string, string>();

before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bitnet-webapp-'));
  app = path.join(scratch, 'app');
  mkdirSync(app);
  const { tarball } = packPackage(scratch);
  installScratchProject(app, [tarball]);
  cpSync(PAGES, app, { recursive: true });
  // the embedded model: under public/ for Vite, beside the pages for the static host
  mkdirSync(path.join(app, 'public/models'), { recursive: true });
  symlinkSync(MODEL, path.join(app, 'public/models/en-11m'));
  mkdirSync(path.join(app, 'models'));
  symlinkSync(MODEL, path.join(app, 'models/en-11m'));
});
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Opens `url`, runs every kind of engine there and checks what each saw; `workerScript` matches the worker's URL. */
async function checkPage(name: string, url: string, workerScript: RegExp): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const workerUrls: string[] = [];
  page.on('worker', (w) => workerUrls.push(w.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  const runs = new Map<string, EngineRun>();
  for (const kind of ENGINES) {
    const started = workerUrls.length;
    const run = await page.evaluate((k) => (window as PageWindow).runEngine!(k), kind);
    runs.set(kind, run);
    assert.equal(run.inWorker, kind !== 'main thread', `${name}, ${kind}: inWorker`);
    const workers = workerUrls.slice(started);
    if (kind === 'main thread') assert.deepEqual(workers, [], `${name}: the main-thread engine started a worker`);
    else
      assert.ok(
        workers.length > 0 && workers.every((w) => workerScript.test(w)),
        `${name}, ${kind}: workers ${workers.join(', ')} (expected ${workerScript})`,
      );
  }
  const text = runs.get('main thread')!.text;
  assert.ok(text.trim().length > 0, `${name}: no text was generated`);
  for (const [kind, run] of runs) {
    assert.equal(run.text, text, `${name}: the ${kind} engine's greedy text differs from the main thread's`);
    const { overflow, missingModel } = run;
    assert.ok(overflow && missingModel, `${name}, ${kind}: a request too long and a missing model raised no error`);
    assert.deepEqual(
      { ...overflow, text: '' },
      {
        name: 'ContextOverflowError',
        code: 'context-overflow',
        text: '',
        classes: ['BitNetError', 'ContextOverflowError'],
      },
      `${name}, ${kind}: a request too long`,
    );
    assert.match(overflow.text, /^ContextOverflowError: the prompt has \d+ tokens and max_tokens is 100000/);
    assert.deepEqual(
      { ...missingModel, text: '' },
      { name: 'ModelFormatError', code: 'model-format', text: '', classes: ['BitNetError', 'ModelFormatError'] },
      `${name}, ${kind}: a missing model`,
    );
    assert.match(
      missingModel.text,
      /^ModelFormatError: http:\/\/127\.0\.0\.1:\d+\/models\/missing\/: has no config\.json/,
    );
  }
  texts.set(name, text);
  assert.deepEqual(pageErrors, []);
  await context.close();
}

test('a Vite app, on the dev server', { timeout: 300_000 }, async () => {
  const server = await createServer({
    root: app,
    configFile: false,
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  try {
    await server.listen();
    await checkPage(
      'vite dev',
      server.resolvedUrls!.local[0],
      /\/node_modules\/bitnet-webgpu\/dist\/worker\.js\?worker_file/,
    );
  } finally {
    await server.close();
  }
});

test('a Vite app, built for production (minified) and previewed', { timeout: 300_000 }, async () => {
  await build({ root: app, configFile: false, logLevel: 'error' });
  const server = await preview({
    root: app,
    configFile: false,
    logLevel: 'error',
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  try {
    await checkPage('vite build', server.resolvedUrls!.local[0], /\/assets\/worker-[\w-]+\.js$/);
  } finally {
    await server.close();
  }
});

test('a page with no bundler: plain ES modules and an import map', { timeout: 300_000 }, async () => {
  const { server, url } = await serveStaticFiles(app);
  try {
    await checkPage('no bundler', `${url}/plain.html`, /\/node_modules\/bitnet-webgpu\/dist\/worker\.js$/);
  } finally {
    server.close();
  }
  assert.deepEqual(
    new Set(texts.values()).size,
    1,
    `the pages generated different text: ${JSON.stringify(Object.fromEntries(texts))}`,
  );
});

/** A consumer as an app writes it: WebGPU types come with the package; misuse must not compile. */
const BROWSER_CONSUMER = `
import { createEngine, createWorkerEngine, ModelFormatError, type ChatCompletion, type Engine, type WorkerEngine } from 'bitnet-webgpu';

export async function reply(): Promise<string> {
  const engine: Engine = await createEngine({ model: '/models/en-11m/' });
  const device: GPUDevice = engine.gpu.device;
  const adapterLimit: number = device.limits.maxStorageBufferBindingSize;
  const worker: WorkerEngine = await createWorkerEngine({ model: '/models/en-11m/', onProgress: (p) => console.log(p.phase, p.done) });
  let text = '';
  for await (const chunk of await worker.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], stream: true })) text += chunk.choices[0].delta.content ?? '';
  const whole: ChatCompletion = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
  // @ts-expect-error: the model is required
  await createEngine({});
  try {
    await createWorkerEngine({ model: 'missing/model' });
  } catch (err) {
    if (err instanceof ModelFormatError) return err.file;
  }
  return text + whole.choices[0].message.content + adapterLimit;
}
`;
const NODE_CONSUMER = `
import { createEngine, createNodeGpuContext, ModelNotFoundError } from 'bitnet-webgpu';

const gpu = await createNodeGpuContext();
const engine = await createEngine({ model: './models/en-11m', gpu });
console.log(engine.gpu.device.limits.maxBufferSize, ModelNotFoundError.name);
`;

function writeTsconfig(
  file: string,
  options: { moduleResolution: 'Bundler' | 'NodeNext'; types: string[]; files: string[] },
): void {
  const module = options.moduleResolution === 'Bundler' ? 'ESNext' : 'NodeNext';
  const compilerOptions = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2022',
    module,
    moduleResolution: options.moduleResolution,
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: options.types,
  };
  writeFileSync(path.join(app, file), JSON.stringify({ compilerOptions, files: options.files }));
}

/** Runs `tsc` (the package's script `bin/tsc` under `typescript`) on `project`; returns its version line. */
function typecheck(typescript: string, project: string): string {
  const tsc = path.join(typescript, 'bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: app, encoding: 'utf8' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    assert.fail(`${project} does not type-check:\n${stdout}${stderr}`);
  }
  return execFileSync(process.execPath, [tsc, '-v'], { encoding: 'utf8' }).trim();
}

test(
  "TypeScript consumers compile against the package's declarations: 5.x strict with and without @webgpu/types, and 7",
  { timeout: 300_000 },
  () => {
    writeFileSync(path.join(app, 'consumer.ts'), BROWSER_CONSUMER);
    writeFileSync(path.join(app, 'nodeConsumer.ts'), NODE_CONSUMER);
    writeTsconfig('tsconfig.browser.json', { moduleResolution: 'Bundler', types: [], files: ['consumer.ts'] });
    writeTsconfig('tsconfig.webgpu-types.json', {
      moduleResolution: 'Bundler',
      types: ['@webgpu/types'],
      files: ['consumer.ts'],
    });
    writeTsconfig('tsconfig.node.json', { moduleResolution: 'NodeNext', types: [], files: ['nodeConsumer.ts'] });
    const ts5 = path.join(repoRoot, 'node_modules/typescript');
    assert.match(typecheck(ts5, 'tsconfig.browser.json'), /^Version 5\./);
    typecheck(ts5, 'tsconfig.webgpu-types.json');
    typecheck(ts5, 'tsconfig.node.json');
    // TypeScript 7's lib.dom has WebGPU (adding @webgpu/types there clashes with it, package or not)
    const ts7 = path.join(scratch, 'ts7');
    mkdirSync(ts7);
    installScratchProject(ts7, ['typescript@7']);
    assert.match(typecheck(path.join(ts7, 'node_modules/typescript'), 'tsconfig.browser.json'), /^Version 7\./);
    typecheck(path.join(ts7, 'node_modules/typescript'), 'tsconfig.node.json');
  },
);
