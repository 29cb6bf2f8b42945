// The committed GGUF fixtures (test/fixtures/gguf, written by tools/fixtures/writeGgufFixtures.py
// with llama.cpp's gguf package) hold tiny-a's weights: through GgufTensorSource they must give the
// safetensors checkpoint's tensors, codes exactly and scales as each format rounds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { directoryFiles, fileSource } from '../src/node/fileSource.ts';
import { locationFiles } from '../src/node/modelLocation.ts';
import { openCheckpoint } from '../src/loader/checkpointFormats.ts';
import { convertToShards } from '../src/loader/convert.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import { openGguf, ggufTypeCounts } from '../src/loader/gguf/ggufSource.ts';
import { tensorPlan } from '../src/model/tensorPlan.ts';
import { toBf16Words } from '../src/loader/dtypes.ts';
import { ModelTokenizer } from '../src/tokenizer/modelTokenizer.ts';
import { roundToF16 } from './float16.ts';
import { GGUF_FIXTURES, storedScale } from './ggufModels.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;

/** The 11M model's tokenizer.json cut to `size` ids, as the fixture writer cuts it (its specials renamed as there). */
function truncatedTokenizer(size: number): Record<string, unknown> {
  const t = JSON.parse(readFileSync(`${FIXTURES}../../public/models/bitnet-b1.58-en-11m/tokenizer.json`, 'utf8'));
  const names = ['<|pad|>', '<|begin_of_text|>', '<|end_of_text|>'];
  const vocab = Object.fromEntries(
    Object.entries(t.model.vocab as Record<string, number>)
      .filter(([, id]) => id < size)
      .map(([token, id]) => [id < names.length ? names[id] : token, id]),
  );
  const merges = (t.model.merges as [string, string][]).filter(([a, b]) => t.model.vocab[a + b] < size);
  const added = (t.added_tokens as { id: number }[]).map((a) => ({ ...a, content: names[a.id] }));
  return { ...t, added_tokens: added, post_processor: null, model: { ...t.model, vocab, merges } };
}

for (const f of GGUF_FIXTURES) {
  test(`GGUF fixture ${f.file}: tiny-a's tensors, codes exactly and scales as ${f.linear} stores them`, async () => {
    const opened = await openGguf(fileSource(`${FIXTURES}gguf/${f.file}`));
    const hf = await openHuggingFaceCheckpoint(directoryFiles(`${FIXTURES}tiny-a/packed`));
    assert.equal(opened.architecture, f.architecture);
    assert.deepEqual(ggufTypeCounts(opened.file), f.types);
    assert.deepEqual(opened.source.config, { ...hf.config, rmsNormEps: Math.fround(hf.config.rmsNormEps) });

    let embeddingChanged = 0;
    for (const r of tensorPlan(hf.config)) {
      opened.source.check(r);
      if (r.kind === 'ternary') {
        const ours = await opened.source.ternary(r.name, r.rows, r.cols);
        const theirs = await hf.ternary(r.name, r.rows, r.cols);
        assert.deepEqual(ours.packed, theirs.packed, r.name);
        // the checkpoint stores 1 / mean|W| (bf16); the GGUF its inverse, as the weights' magnitude
        const stored = r.cols % 256 !== 0 && f.linear !== 'I2_S' ? 'F16' : f.linear;
        const divisor = theirs.rowScale[0];
        assert.deepEqual(ours.rowScale, new Float32Array(r.rows).fill(1 / storedScale(stored, divisor)), r.name);
        assert.ok(Math.abs(ours.rowScale[0] / divisor - 1) < 2 ** -10, `${r.name}: ${ours.rowScale[0]} vs ${divisor}`);
      } else if (r.kind === 'vector') {
        assert.deepEqual(await opened.source.vector(r.name, r.rows), await hf.vector(r.name, r.rows), r.name);
      } else {
        // the converters store the table in F16: the checkpoint's bf16 values rounded to half precision
        const theirs = await hf.bf16Matrix(r.name, r.rows, r.cols);
        const values = new Float32Array(
          new Uint32Array(Array.from(new Uint16Array(theirs.words.buffer), (h) => h << 16)).buffer,
        );
        const rounded = toBf16Words(new Uint8Array(Float32Array.from(values, roundToF16).buffer), 'F32');
        const ours = await opened.source.bf16Matrix(r.name, r.rows, r.cols);
        assert.deepEqual(ours.words, rounded, r.name);
        embeddingChanged = ours.words.reduce((n, w, i) => n + (w !== theirs.words[i] ? 1 : 0), 0);
      }
    }
    // only values below half precision's normal range (2^-14) can change
    assert.ok(embeddingChanged < 64, `${embeddingChanged} embedding words changed`);
  });
}

/** A fixture converted by the load pipeline's convert stage into shards held in memory. */
async function convertFixture(file: string) {
  const checkpoint = await openCheckpoint(locationFiles({ kind: 'file', path: `${FIXTURES}gguf/${file}` }));
  const written = new Map<string, Uint8Array | string>();
  const manifest = await convertToShards(checkpoint, {
    tokenizerFile: async (name, text) => void written.set(name, text),
    shard: async (shard, bytes) => void written.set(shard.file, bytes.slice()),
    manifest: async () => {},
  });
  return { manifest, written };
}

test('GGUF fixtures: TQ1_0 and TQ2_0 convert to identical shards, so one GPU run covers both', async () => {
  const tq1 = await convertFixture('tiny-a-tq1_0.gguf');
  const tq2 = await convertFixture('tiny-a-tq2_0.gguf');
  assert.deepEqual(tq1.manifest, tq2.manifest);
  assert.deepEqual(tq1.written, tq2.written);
  assert.deepEqual([...tq1.written.keys()].slice(0, 2), ['tokenizer.json', 'tokenizer_config.json']);
  assert.deepEqual(tq1.manifest.tokenizerFiles, ['tokenizer.json', 'tokenizer_config.json']);
  // and they differ from I2_S's only where the scales' rounding does (f16 here, f32 there)
  const i2s = await convertFixture('tiny-a-i2_s.gguf');
  assert.deepEqual(
    i2s.manifest.tensors.map((t) => [t.name, t.kind, t.rows, t.cols]),
    tq1.manifest.tensors.map((t) => [t.name, t.kind, t.rows, t.cols]),
  );
  assert.notDeepEqual(i2s.manifest.shards, tq1.manifest.shards);
});

test('GGUF fixtures: the tokenizer in the metadata tokenizes like its tokenizer.json', async () => {
  const opened = await openGguf(fileSource(`${FIXTURES}gguf/tiny-a-tq2_0.gguf`));
  // as the engine receives tokenizer files: their text
  const text = async (name: string) => JSON.parse((await opened.readTokenizerFile(name))!);
  const gguf = new ModelTokenizer(await text('tokenizer.json'), await text('tokenizer_config.json'), 1024);
  assert.equal(await opened.readTokenizerFile('vocab.json'), undefined);
  const reference = new ModelTokenizer(truncatedTokenizer(1024), {}, 1024);
  const sample =
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine!\n' +
    '  "Don\'t worry," said Mom -- it\'s 3:45 pm and 12,345 birds... naïve café 🙂\n\tThe end.';
  const ids = reference.encode(sample, { addSpecialTokens: false });
  assert.ok(ids.length > 40 && ids.every((id) => id < 1024));
  assert.deepEqual(gguf.encode(sample, { addSpecialTokens: false }), ids);
  assert.deepEqual(gguf.encode(sample), [opened.source.config.bosTokenId, ...ids]);
  assert.equal(gguf.decode(gguf.encode(sample)), reference.decode(ids));
  assert.deepEqual(gguf.stopIds, opened.source.config.eosTokenIds);
  assert.equal(gguf.chatFormat, 'plain');
});
