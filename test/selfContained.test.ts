// A clean clone runs its own tests: no file of the repository may point outside it, at a sibling
// `shared` folder that only some checkouts have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Installed, built or generated, never committed (see .gitignore).
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', 'dist-node', 'dist-demo', '.gpu', 'test-results']);
const BINARY = /\.(bin|safetensors|gguf|png|jpg)$/;
// Built from parts so that this file does not match itself.
const OUTSIDE = new RegExp(['\\.\\./', 'shared', '\\b'].join(''));

function repositoryFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return SKIP_DIRS.has(name) || name.startsWith('.chrome') ? [] : repositoryFiles(p);
    return BINARY.test(name) ? [] : [p];
  });
}

test('no file of the repository refers to a folder outside it', () => {
  const files = repositoryFiles(root);
  assert.ok(files.length > 100, `only ${files.length} files found under ${root}`);
  const offenders = files.filter((f) => OUTSIDE.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
  assert.deepEqual(offenders, [], `these files refer outside the repository: ${offenders.join(', ')}`);
});
