// The npm package as users get it: built, packed by `npm pack` and installed from the tarball into
// a scratch project. Shared by test/package.pack.ts (Node) and e2e/package.e2e.ts (web apps).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Builds the package and packs it into `dir`; returns the tarball's path and the files it holds. */
export function packPackage(dir: string): { tarball: string; files: string[] } {
  // build first (prepack would print the build log into the JSON that pack writes)
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = JSON.parse(out)[0] as { filename: string; files: { path: string }[] };
  return { tarball: path.join(dir, info.filename), files: info.files.map((f) => f.path) };
}

/** Makes `dir` an ES module project and installs `packages` there (from npm's cache when it has them). */
export function installScratchProject(dir: string, packages: string[]): void {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
