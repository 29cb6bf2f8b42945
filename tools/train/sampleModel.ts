// Samples from a model with our runtime, for model cards: greedy and seeded continuations.
//   node --import ./tools/register.js tools/train/sampleModel.ts public/models/bitnet-b1.58-en-11m
import { createEngine } from '../../src/node/index.ts';

const dir = process.argv[2] ?? 'public/models/bitnet-b1.58-en-11m';
const engine = await createEngine({ model: dir });
const prompts = [
  'The jury said that',
  'In the morning the children',
  'She looked at the',
  'The president of the company',
  'It was a quiet evening, and',
];
console.log(`Samples from ${dir} on ${engine.stats().adapter}, 40 new tokens each (stopping at end of text):\n`);
for (const prompt of prompts) {
  for (const [label, settings] of [
    ['greedy', { temperature: 0 }],
    ['temperature 0.7, top-p 0.95, seed 1', { temperature: 0.7, top_p: 0.95, seed: 1 }],
  ] as const) {
    let text = '';
    for await (const c of engine.generate({ prompt, max_tokens: 40, ...settings })) text += c.text;
    console.log(`- *${label}*: **${prompt}**${text.replace(/\n/g, ' ')}`);
  }
}
engine.dispose();
process.exit(0);
