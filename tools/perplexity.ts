// Perplexity of a model on a text file, as tools/train/train.py measures it (each line encoded with
// BOS, then EOS; consecutive windows of --seq tokens, every position predicted): how much a choice
// such as the int8 embedding/lm_head costs in quality.
//   node --import ./tools/register.js tools/perplexity.ts MODEL_DIR TEXT [--seq 256] [--embedding int8|bf16] [--windows N]
import { readFileSync } from 'node:fs';
import { createEngine } from '../src/node/index.ts';
import type { EmbeddingFormat } from '../src/weights/formats.ts';

const [modelDir, textFile] = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
if (!modelDir || !textFile) {
  console.error('usage: perplexity.ts MODEL_DIR TEXT [--seq 256] [--embedding int8|bf16] [--windows N]');
  process.exit(2);
}
const seq = Number(option('seq', '256'));
const embeddingFormat = option('embedding', 'int8') as EmbeddingFormat; // checked by BitNetModel.load
const engine = await createEngine({ model: modelDir, contextLength: seq, embeddingFormat });
const eos = engine.model.config.eosTokenIds[0];
const ids = readFileSync(textFile, 'utf8')
  .split('\n')
  .filter((l) => l)
  .flatMap((l) => [...engine.tokenizer.encode(l), eos]);
const windows = Math.min(Math.floor((ids.length - 1) / seq), Number(option('windows', 'Infinity')));
const V = engine.model.config.vocabSize;
let nll = 0;
for (let w = 0; w < windows; w++) {
  const chunk = ids.slice(w * seq, (w + 1) * seq + 1);
  engine.model.reset();
  const logits = await engine.model.logits(chunk.slice(0, -1), 'all');
  for (let t = 0; t < seq; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    nll += Math.log(sum) + max - row[chunk[t + 1]];
  }
}
console.log(
  JSON.stringify({
    model: modelDir,
    embedding: embeddingFormat,
    windows,
    tokens: windows * seq,
    perplexity: Number(Math.exp(nll / (windows * seq)).toFixed(3)),
  }),
);
engine.dispose();
process.exit(0);
