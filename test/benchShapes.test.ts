// The benchmark shapes go through the config parser real checkpoints go through: each is accepted or
// refused exactly as its family's golden fixture is, none can bypass the attention kernel's limits,
// and the names the docs use still select them. No GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBitNetConfig } from '../src/model/config.ts';
import { ModelFormatError } from '../src/errors.ts';
import { MAX_GROUP, MAX_HEAD_DIM } from '../src/kernels/attentionLimits.ts';
import {
  checkpointBytes,
  MODEL_SHAPES,
  selectShapes,
  shapeConfig,
  type ModelShape,
} from '../tools/bench/modelShapes.ts';
import { syntheticSource } from '../tools/bench/syntheticSource.ts';

type Json = Record<string, unknown>;

const fixtureConfig = (family: string): Json =>
  JSON.parse(readFileSync(new URL(`fixtures/${family}/config.json`, import.meta.url), 'utf8')) as Json;

/** The golden fixture of the shape's family (test/fixtures/README.md): same config fields, tiny sizes. */
function familyFixture(config: Json): string {
  if (config.model_type === 'bitnet') return 'tiny-a/packed';
  if ((config.architectures as string[] | undefined)?.[0] === 'BitnetForCausalLM') return 'bitnet-1bitllm';
  return 'falcon-e';
}

/** The parser's verdict: the config, or the message without its file name. */
function verdict(config: Json, file: string): { accepted: ReturnType<typeof parseBitNetConfig> } | { refused: string } {
  try {
    return { accepted: parseBitNetConfig(config, file) };
  } catch (err) {
    assert.ok(err instanceof ModelFormatError, `not a ModelFormatError: ${String(err)}`);
    return { refused: err.message.slice(`${file}: `.length) };
  }
}

const byName = (name: string): ModelShape => MODEL_SHAPES.find((s) => s.name === name)!;

for (const shape of MODEL_SHAPES) {
  const family = familyFixture(shape.config as Json);
  test(`${shape.name}: the config parser treats its config.json as it treats ${family}'s`, () => {
    const expected = verdict(fixtureConfig(family), 'config.json');
    const got = verdict(shape.config as Json, 'config.json');
    if ('refused' in expected) {
      // refused for its family (a runtime without that family), never for its size
      assert.deepEqual(got, expected);
      return;
    }
    assert.ok('accepted' in got, `${shape.name} is refused: ${'refused' in got ? got.refused : ''}`);
    const c = got.accepted;
    const k = shape.config as Json;
    // every field the shape states is the one the model is built with (no misspelled key left to a default)
    assert.deepEqual(
      [
        c.hiddenSize,
        c.intermediateSize,
        c.numLayers,
        c.numHeads,
        c.numKvHeads,
        c.headDim,
        c.vocabSize,
        c.tieWordEmbeddings,
        c.maxPositionEmbeddings,
      ],
      [
        k.hidden_size,
        k.intermediate_size,
        k.num_hidden_layers,
        k.num_attention_heads,
        k.num_key_value_heads,
        k.head_dim ?? (k.hidden_size as number) / (k.num_attention_heads as number),
        k.vocab_size,
        k.tie_word_embeddings,
        k.max_position_embeddings,
      ],
    );
    assert.equal(c.ropeTheta, k.rope_theta);
    if (k.rms_norm_eps !== undefined) assert.equal(c.rmsNormEps, k.rms_norm_eps);
  });
}

test('every shape stays inside the attention kernel’s limits, the ones waiting on their family’s parser too', () => {
  for (const { name, config } of MODEL_SHAPES) {
    const k = config as Json;
    const heads = k.num_attention_heads as number;
    const kvHeads = k.num_key_value_heads as number;
    const headDim = (k.head_dim as number | undefined) ?? (k.hidden_size as number) / heads;
    assert.equal(heads % kvHeads, 0, name);
    assert.ok(heads / kvHeads <= MAX_GROUP, `${name}: ${heads / kvHeads} query heads per KV head`);
    assert.ok(headDim <= MAX_HEAD_DIM && headDim % 4 === 0, `${name}: head_dim ${headDim}`);
  }
});

test('the ~100B shape has at most MAX_GROUP query heads per KV head and ~100B linear parameters', () => {
  const c = shapeConfig(byName('ternary-100B'));
  assert.ok(c.numHeads / c.numKvHeads <= MAX_GROUP, `${c.numHeads / c.numKvHeads} query heads per KV head`);
  const perLayer =
    c.hiddenSize * (2 * c.numHeads * c.headDim + 2 * c.numKvHeads * c.headDim) + 3 * c.hiddenSize * c.intermediateSize;
  const linear = c.numLayers * perLayer;
  assert.ok(linear > 95e9 && linear < 105e9, `${(linear / 1e9).toFixed(1)}B linear parameters`);
});

test('a shape over the kernel’s limits cannot reach the GPU: syntheticSource refuses it as the loader would', () => {
  const shape = byName('ternary-100B');
  // the ~100B shape as it was before: 80 query heads over 8 KV heads, which the kernel computed wrongly
  const old = { ...shape, config: { ...shape.config, num_key_value_heads: 8 } };
  assert.throws(() => syntheticSource(old), ModelFormatError);
  assert.throws(() => syntheticSource(old), /10 query heads per KV head; the attention kernel supports at most 8/);
  const wide = { ...shape, config: { ...shape.config, head_dim: 2 * MAX_HEAD_DIM } };
  assert.throws(() => syntheticSource(wide), /head_dim 512/);
});

test('--models: the names the docs use pick the shapes they always did; a family name picks its shapes', () => {
  const names = (keys: string[]) => selectShapes(keys).map((s) => s.name);
  assert.deepEqual(names(['tiny']), ['tiny-a']);
  assert.deepEqual(names(['large']), ['bitnet_b1_58-large (0.7B)']);
  assert.deepEqual(names(['2B-4T']), ['bitnet-b1.58-2B-4T']);
  assert.deepEqual(names(['3B']), ['bitnet_b1_58-3B']);
  assert.deepEqual(names(['8B']), ['Llama3-8B-1.58']);
  assert.deepEqual(names(['100B']), ['ternary-100B']);
  assert.deepEqual(names(['100B', 'tiny', '2B-4T']), ['tiny-a', 'bitnet-b1.58-2B-4T', 'ternary-100B']);
  assert.deepEqual(names(['falcon3']), [
    'Falcon3-1B-1.58bit',
    'Falcon3-3B-1.58bit',
    'Falcon3-7B-1.58bit',
    'Falcon3-10B-1.58bit',
  ]);
  assert.deepEqual(names(['Falcon-E']), ['Falcon-E-1B']);
  assert.throws(() => selectShapes(['70B']), /no benchmark shape matches "70B"; known: tiny-a, .*ternary-100B/);
});

test('every shape’s name and aliases pick that shape alone', () => {
  for (const shape of MODEL_SHAPES) {
    for (const key of [shape.name, ...shape.aliases]) assert.deepEqual(selectShapes([key]), [shape], key);
  }
});

test('the checkpoint size computed from a config is the size its repository lists', () => {
  // model.safetensors as huggingface.co lists it (docs/modelFamilies.md, "Real shapes")
  for (const [name, listed] of [
    ['bitnet-b1.58-2B-4T', 1.18e9],
    ['Falcon3-3B-1.58bit', 2.22e9],
  ] as const) {
    const bytes = checkpointBytes(byName(name));
    assert.ok(Math.abs(bytes - listed) < 0.005e9, `${name}: ${(bytes / 1e9).toFixed(3)} GB, listed ${listed / 1e9} GB`);
  }
});
