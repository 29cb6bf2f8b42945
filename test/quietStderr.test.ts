// Dawn prints two "maxDynamic…PerPipelineLayout artificially reduced" warnings (fprintf to stderr)
// when it discovers lavapipe or RADV; a Node engine must not pass them on, and stderr must work after.
// The child's stderr is a file, as a shell redirection makes it (a terminal and a shell pipe behave
// alike; the socket pairs Node's child_process makes by default cannot be filtered: see dawnStderr.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const icdDir = '/usr/share/vulkan/icd.d/';
const lavapipe = readdirSync(icdDir).find((f) => /^lvp_icd.*\.json$/.test(f));

/** Runs node with `args` on lavapipe, stderr into a file; returns stdout and stderr. */
function runOnLavapipe(args: string[]): { stdout: string; stderr: string } {
  assert.ok(lavapipe, `lavapipe is not installed in ${icdDir} (tools/testNode.sh needs it too)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'bitnet-stderr-'));
  const stderrFile = path.join(dir, 'stderr.txt');
  const stderr = openSync(stderrFile, 'w');
  try {
    const stdout = execFileSync(process.execPath, ['--import', './tools/register.js', ...args], {
      cwd: root,
      env: { ...process.env, VK_ICD_FILENAMES: icdDir + lavapipe },
      stdio: ['ignore', 'pipe', stderr],
      encoding: 'utf8',
    });
    return { stdout, stderr: readFileSync(stderrFile, 'utf8') };
  } finally {
    closeSync(stderr);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a Node engine on lavapipe prints nothing on stderr but what the program writes', { timeout: 120_000 }, () => {
  const program = `
    import { createEngine } from './src/node/index.ts';
    console.error('before');
    const engine = await createEngine({ model: 'public/models/bitnet-b1.58-en-11m' });
    for await (const c of engine.generate({ prompt: 'The city', max_tokens: 3, temperature: 0 }));
    engine.dispose();
    console.log(engine.gpu.caps.adapterName);
    console.error('after');`;
  const { stdout, stderr } = runOnLavapipe(['--input-type=module', '--eval', program]);
  assert.match(stdout, /llvmpipe/);
  assert.equal(stderr, 'before\nafter\n');
});

test('a CLI call on lavapipe prints its JSON and nothing on stderr', { timeout: 120_000 }, () => {
  const { stdout, stderr } = runOnLavapipe([
    'src/node/cli.ts',
    'generate',
    '--model',
    'public/models/bitnet-b1.58-en-11m',
    '--ids',
    '1,2,3',
    '--max-tokens',
    '2',
    '--greedy',
  ]);
  assert.match(stdout, /^\{"ids":\[\d+(,\d+)?\]\}\n$/);
  assert.equal(stderr, '');
});
