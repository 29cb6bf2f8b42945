// The published package really works: `npm pack`, install the tarball into a scratch project,
// and generate with a fixture model through the package's own entry, as a user's code would; and
// the README's example runs as it is written. Run once (not per driver) by tools/testNode.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installScratchProject, packPackage } from './packedPackage.ts';

const root = new URL('..', import.meta.url).pathname;
const MODEL = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
const EXPECTED = new URL('./fixtures/bitnet-b1.58-en-11m/expected.json', import.meta.url).pathname;

let scratch: string;
let files: string[];

before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bitnet-pack-'));
  const packed = packPackage(scratch);
  files = packed.files;
  const webgpu = JSON.parse(readFileSync(path.join(root, 'node_modules/webgpu/package.json'), 'utf8')).version;
  installScratchProject(scratch, [packed.tarball, `webgpu@${webgpu}`]);
});
after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the npm tarball holds the builds and declarations, and no sources, tests or models', () => {
  for (const file of [
    'dist/node.js',
    'dist/index.js',
    'dist/worker.js',
    'dist/types/index.d.ts',
    'types-ts5/index.d.ts',
  ])
    assert.ok(files.includes(file), `${file} is not in the package: ${files.join(', ')}`);
  assert.ok(
    !files.some(
      (f) => f.startsWith('demo/') || f.startsWith('test/') || f.startsWith('public/') || f.startsWith('src/'),
    ),
    'no sources, demo, tests or models in the package',
  );
});

test('the npm tarball installs into a fresh project and generates in Node', { timeout: 600_000 }, () => {
  const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')).cases[2];
  writeFileSync(
    path.join(scratch, 'run.mjs'),
    `import { createEngine } from 'bitnet-webgpu';
     const engine = await createEngine({ model: ${JSON.stringify(MODEL)} });
     const tokens = [];
     for await (const c of engine.generate({ prompt: ${JSON.stringify(expected.prompt)}, max_tokens: 4, temperature: 0, stop_token_ids: [] })) {
       if (c.token !== null) tokens.push(c.token);
     }
     console.log(JSON.stringify(tokens));
     process.exit(0);`,
  );
  const result = execFileSync(process.execPath, ['run.mjs'], { cwd: scratch, encoding: 'utf8' });
  // transformers' greedy tokens, up to its first near-tie
  const n = expected.greedy_top2_margin.findIndex((m: number) => m < 0.3) + 1 || 4;
  assert.deepEqual(JSON.parse(result.trim().split('\n').pop()!).slice(0, n), expected.greedy_new_ids.slice(0, n));
});

test("the README's example runs as it is written, from the repository's root", { timeout: 300_000 }, () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Using the library\n'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, 'README.md has no ts block under "Using the library"');
  writeFileSync(path.join(scratch, 'example.mjs'), example);
  // the script resolves the package from its own directory; the model's path is relative to cwd.
  // As a user runs it: the library picks the Vulkan driver (SwiftShader samples 128 tokens slowly).
  const env = { ...process.env, VK_ICD_FILENAMES: undefined };
  const stdout = execFileSync(process.execPath, [path.join(scratch, 'example.mjs')], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  // progress lines (text and percentage) up to the whole load, then what the model wrote
  assert.match(stdout, /^Placing the weights on the GPU: 1 of \d+ tensors \d+%$/m);
  assert.match(stdout, / 100%$/m);
  assert.ok(
    stdout.split('\n').filter((line) => /\w/.test(line) && !/ \d+%$/.test(line)).length > 5,
    `little was generated:\n${stdout}`,
  );
});
