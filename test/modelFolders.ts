// Model files on disk for the tests that read local folders (the CLI, createEngine with a path).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

const created: string[] = [];
after(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test file ends. */
export function temporaryDirectory(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bitnet-test-'));
  created.push(dir);
  return dir;
}

/** Writes `files` (name -> bytes or text) into a fresh temporary directory and returns its path. */
export function writeModelFolder(files: Map<string, Uint8Array | string>): string {
  const dir = temporaryDirectory();
  for (const [name, bytes] of files) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}
