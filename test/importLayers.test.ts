// The sources keep one direction: each module imports from its own layer or lower ones, never from
// a higher one, so a lower layer can be read, tested and changed without the layers above it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = new URL('../src/', import.meta.url).pathname;

/**
 * Lowest first. `errors` is what every layer may use: the typed errors and the guard that turns
 * hostile JSON into them (untrustedJson.ts). `weights` holds the weight formats on the CPU side
 * (their layout, the tensor-source interface), shared by the kernels that read them and the loader
 * that writes them. The model imports no loader: the loader produces what the model consumes.
 */
const LAYERS = ['errors', 'gpu', 'weights', 'kernels', 'model', 'loader', 'tokenizer', 'engine', 'index', 'node'];

/** Files directly in src/, by layer; every other file's layer is its folder. */
const TOP_LEVEL_FILES: Record<string, string> = {
  'errors.ts': 'errors',
  'untrustedJson.ts': 'errors',
  'index.ts': 'index',
};

function layerOf(file: string): string | undefined {
  const [first, ...rest] = file.split('/');
  return rest.length === 0 ? TOP_LEVEL_FILES[first] : LAYERS.includes(first) ? first : undefined;
}

/** Every .ts file under src/, relative to it. */
function sourceFiles(dir = ''): string[] {
  return readdirSync(path.join(SRC, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** The files under src/ that `file` imports or re-exports (static, type-only and dynamic imports alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((name) => name.startsWith('.') && name.endsWith('.ts'))
    .map((name) => path.posix.normalize(path.posix.join(path.posix.dirname(file), name)))
    .filter((target) => !target.startsWith('../'));
}

test('every source file belongs to a layer', () => {
  const unplaced = sourceFiles().filter((file) => layerOf(file) === undefined);
  assert.deepEqual(
    unplaced,
    [],
    `src/${unplaced.join(', src/')}: in no layer; add the folder to LAYERS in test/importLayers.test.ts at its place`,
  );
});

test(`no module imports from a higher layer (lowest first: ${LAYERS.join(' -> ')})`, () => {
  const upward: string[] = [];
  for (const file of sourceFiles()) {
    const from = layerOf(file);
    if (from === undefined) continue;
    for (const target of importsOf(file)) {
      const to = layerOf(target);
      if (to !== undefined && LAYERS.indexOf(to) > LAYERS.indexOf(from))
        upward.push(`src/${file} (${from}) imports src/${target} (${to})`);
    }
  }
  assert.deepEqual(upward, [], `imports from a higher layer:\n  ${upward.join('\n  ')}`);
});

test('the loader needs no GPU code: nothing it imports, directly or through other modules, is in gpu/ or kernels/', () => {
  const reached = new Map<string, string>(); // module -> the loader module whose imports reach it
  const visit = (file: string, root: string) => {
    for (const target of importsOf(file)) {
      if (reached.has(target)) continue;
      reached.set(target, root);
      visit(target, root);
    }
  };
  for (const file of sourceFiles().filter((f) => layerOf(f) === 'loader')) visit(file, file);
  const gpuCode = [...reached]
    // a kernels/ module that imports nothing (attentionLimits.ts: plain constants) is not GPU code
    .filter(([target]) => ['gpu', 'kernels'].includes(layerOf(target) ?? '') && importsOf(target).length > 0)
    .map(([target, root]) => `src/${target} (through src/${root})`);
  assert.deepEqual(gpuCode, [], `GPU code the loader imports:\n  ${gpuCode.join('\n  ')}`);
});

test('no import cycles, within a layer either', () => {
  const cycles: string[] = [];
  const finished = new Set<string>();
  const chain: string[] = [];
  const visit = (file: string) => {
    chain.push(file);
    for (const target of importsOf(file)) {
      if (chain.includes(target))
        cycles.push([...chain.slice(chain.indexOf(target)), target].map((f) => `src/${f}`).join(' -> '));
      else if (!finished.has(target)) visit(target);
    }
    chain.pop();
    finished.add(file);
  };
  for (const file of sourceFiles()) if (!finished.has(file)) visit(file);
  assert.deepEqual(cycles, [], `import cycles:\n  ${cycles.join('\n  ')}`);
});
