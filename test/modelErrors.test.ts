// Bad models and bad requests are refused with errors that name the file and field, before GPU work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBitNetConfig } from '../src/model/config.ts';
import { openHuggingFaceCheckpoint } from '../src/loader/huggingFaceCheckpoint.ts';
import { readSafetensorsHeader } from '../src/loader/safetensors.ts';
import { memorySource } from '../src/loader/byteSource.ts';
import { BitNetModel } from '../src/model/bitnetModel.ts';
import {
  memoryFiles,
  safetensorsWithHeader,
  syntheticCheckpoint,
  writeSafetensors,
  type SyntheticOptions,
} from './syntheticCheckpoint.ts';
import { testGpuContext } from './gpuContext.ts';

const SMALL: SyntheticOptions = {
  hidden: 64,
  intermediate: 96,
  layers: 1,
  heads: 2,
  kvHeads: 1,
  vocab: 50,
  tied: true,
  mode: 'bitlinear',
  seed: 5,
  maxPositions: 32,
};

function configWith(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...syntheticCheckpoint(SMALL).config, ...patch };
}

function rejectsWith(fn: () => unknown, name: string, message: RegExp) {
  return assert.rejects(
    async () => fn(),
    (e: Error) => {
      assert.equal(e.name, name, e.message);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('config.json: unsupported or malformed fields are named', async () => {
  await rejectsWith(
    () => parseBitNetConfig(configWith({ model_type: 'llama' })),
    'ModelFormatError',
    /config\.json: model_type is "llama"/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ hidden_act: 'silu' })),
    'ModelFormatError',
    /hidden_act "silu" is not supported/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ quantization_config: undefined })),
    'ModelFormatError',
    /quantization_config is missing/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ quantization_config: { quant_method: 'gptq' } })),
    'ModelFormatError',
    /quant_method is "gptq"/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ num_key_value_heads: 3 })),
    'ModelFormatError',
    /num_attention_heads 2 is not a multiple of num_key_value_heads 3/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ rope_scaling: { rope_type: 'llama3' } })),
    'ModelFormatError',
    /rope type "llama3" is not supported/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ hidden_size: -4 })),
    'ModelFormatError',
    /hidden_size must be a positive integer/,
  );
  await rejectsWith(() => parseBitNetConfig([1, 2]), 'ModelFormatError', /expected a JSON object/);
  // counts beyond the largest real models, and constants float32 cannot hold
  await rejectsWith(
    () => parseBitNetConfig(configWith({ num_hidden_layers: 1e8 })),
    'ModelFormatError',
    /num_hidden_layers is 100000000, more than the 1024 this library accepts/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ vocab_size: 2 ** 53 - 1 })),
    'ModelFormatError',
    /vocab_size is 9007199254740991, more than the 1048576/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ max_position_embeddings: 2 ** 53 - 1 })),
    'ModelFormatError',
    /max_position_embeddings is \d+, more than the 16777216/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ hidden_size: 2 ** 20, num_attention_heads: 4096 })),
    'ModelFormatError',
    /hidden_size is 1048576, more than the 65536/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ eos_token_id: Array.from({ length: 1000 }, (_, i) => i) })),
    'ModelFormatError',
    /eos_token_id lists 1000 ids \(at most 256\)/,
  );
  // 1e309 in a JSON file parses to Infinity
  await rejectsWith(
    () => parseBitNetConfig(configWith({ rope_theta: JSON.parse('1e309') })),
    'ModelFormatError',
    /rope_theta must be a positive number a float32 holds \(below 3\.4e38\), got Infinity/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ rope_theta: 1e39 })),
    'ModelFormatError',
    /rope_theta must be .* got 1e\+39/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ rms_norm_eps: 1e-50 })),
    'ModelFormatError',
    /rms_norm_eps must be a small positive number a float32 holds .* got 1e-50/,
  );
  // refused when the checkpoint opens: before a tensor plan of 10^9 requests is ever built
  const t0 = performance.now();
  const huge = new Map(syntheticCheckpoint(SMALL).bytes).set(
    'config.json',
    new TextEncoder().encode(JSON.stringify(configWith({ num_hidden_layers: 1e8 }))),
  );
  await rejectsWith(
    () => openHuggingFaceCheckpoint(memoryFiles('huge', huge)),
    'ModelFormatError',
    /num_hidden_layers is 100000000/,
  );
  assert.ok(performance.now() - t0 < 1000);
  // transformers' alternative spellings are accepted
  const c = parseBitNetConfig(
    configWith({
      rope_theta: undefined,
      rope_parameters: { rope_type: 'default', rope_theta: 1234 },
      eos_token_id: 7,
      bos_token_id: [9, 10],
    }),
  );
  assert.equal(c.ropeTheta, 1234);
  assert.deepEqual(c.eosTokenIds, [7]);
  assert.equal(c.bosTokenId, 9);
});

test('missing or mis-shaped tensors are refused before anything reaches the GPU', async () => {
  const { files } = syntheticCheckpoint(SMALL);
  const source = await openHuggingFaceCheckpoint(files);
  const ctx = await testGpuContext();
  // A config that promises a wider model than the tensors hold.
  const bytes = new Map<string, Uint8Array>();
  bytes.set('config.json', new TextEncoder().encode(JSON.stringify(configWith({ intermediate_size: 100 }))));
  bytes.set(
    'model.safetensors',
    (await files.open('model.safetensors').read(0, await files.open('model.safetensors').size())).slice(),
  );
  await rejectsWith(
    async () => BitNetModel.load(ctx, await openHuggingFaceCheckpoint(memoryFiles('wrong-shape', bytes))),
    'ModelFormatError',
    /tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[24,64\], expected \[25,64\]/,
  );
  // A missing tensor (in the last layer): refused before a single tensor is read or uploaded.
  bytes.set('config.json', new TextEncoder().encode(JSON.stringify(configWith({ num_hidden_layers: 2 }))));
  const missing = await openHuggingFaceCheckpoint(memoryFiles('missing', bytes));
  let reads = 0;
  const counting = new Proxy(missing, {
    get: (target, key) => {
      const v = Reflect.get(target, key);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (key === 'ternary' || key === 'vector' || key === 'bf16Matrix') reads++;
        return v.apply(target, args);
      };
    },
  });
  await rejectsWith(
    () => BitNetModel.load(ctx, counting),
    'ModelFormatError',
    /tensor model\.layers\.1\.input_layernorm\.weight is missing/,
  );
  assert.equal(reads, 0, 'no tensor was read before the error');
  // Untied lm_head promised but absent.
  bytes.set('config.json', new TextEncoder().encode(JSON.stringify(configWith({ tie_word_embeddings: false }))));
  await rejectsWith(
    async () => BitNetModel.load(ctx, await openHuggingFaceCheckpoint(memoryFiles('untied', bytes))),
    'ModelFormatError',
    /tensor lm_head\.weight is missing/,
  );
  assert.ok(source.has('model.embed_tokens.weight'));
});

test('safetensors headers that lie about sizes or offsets are refused', async () => {
  const good = writeSafetensors([
    { name: 'a', dtype: 'F32', shape: [2], data: new Uint8Array(8) },
    { name: 'b', dtype: 'U8', shape: [4], data: new Uint8Array(4) },
  ]);
  assert.equal((await readSafetensorsHeader(memorySource('good', good))).size, 2);
  const withHeader = (header: unknown, dataBytes: number) =>
    memorySource('bad.safetensors', safetensorsWithHeader(JSON.stringify(header), dataBytes));
  await rejectsWith(
    () => readSafetensorsHeader(withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)),
    'ModelFormatError',
    /bad\.safetensors: tensor a: shape \[3\] of F32 needs 12 bytes, data_offsets span 8/,
  );
  await rejectsWith(
    () => readSafetensorsHeader(withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)),
    'ModelFormatError',
    /data_offsets end 16 is past the data section \(8 bytes\)/,
  );
  await rejectsWith(
    () => readSafetensorsHeader(withHeader({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8)),
    'ModelFormatError',
    /dtype "F64" is not one of/,
  );
  await rejectsWith(
    () =>
      readSafetensorsHeader(
        withHeader(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
          },
          8,
        ),
      ),
    'ModelFormatError',
    /tensors a and b overlap/,
  );
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setUint32(4, 1, true); // header length 2^32
  await rejectsWith(
    () => readSafetensorsHeader(memorySource('huge.safetensors', huge)),
    'ModelFormatError',
    /header length 4294967296 exceeds/,
  );
  await rejectsWith(
    () => readSafetensorsHeader(memorySource('short.safetensors', new Uint8Array(3))),
    'ModelFormatError',
    /too short/,
  );
  const many = Object.fromEntries(
    Array.from({ length: 100_002 }, (_, i) => [`t${i}`, { dtype: 'U8', shape: [0], data_offsets: [0, 0] }]),
  );
  await rejectsWith(
    () => readSafetensorsHeader(withHeader(many, 0)),
    'ModelFormatError',
    /header lists 100002 entries, more than the 100000 tensors a model may have/,
  );
});

test('prompts beyond the context and unknown token ids are refused before GPU work', async () => {
  const ctx = await testGpuContext();
  const model = await BitNetModel.load(ctx, await openHuggingFaceCheckpoint(syntheticCheckpoint(SMALL).files), {
    contextLength: 16,
  });
  try {
    await rejectsWith(
      () => model.logits(Array.from({ length: 17 }, () => 1)),
      'ContextOverflowError',
      /0 cached \+ 17 new \+ 0 generated = 17 tokens exceed the context of 16 \(the model allows 32/,
    );
    await rejectsWith(
      () => model.generateGreedy([1, 2, 3], 15),
      'ContextOverflowError',
      /= 17 tokens exceed the context of 16/,
    );
    await rejectsWith(
      () => model.logits([1, 50]),
      'InvalidArgumentError',
      /token id 50 is outside the vocabulary \(0\.\.49\)/,
    );
    assert.equal(model.position, 0, 'a refused request leaves the cache untouched');
    const ids = await model.generateGreedy([1, 2, 3], 13, { stopIds: [] });
    assert.equal(ids.length, 13);
    assert.equal(model.position, 15);
  } finally {
    model.dispose();
  }
  const source = await openHuggingFaceCheckpoint(syntheticCheckpoint(SMALL).files);
  await rejectsWith(
    () => BitNetModel.load(ctx, source, { contextLength: 33 }),
    'InvalidArgumentError',
    /contextLength 33 must be an integer in 1\.\.32/,
  );
  // untyped callers (JavaScript, parsed options): an unknown format is refused, not replaced by another
  await rejectsWith(
    () => BitNetModel.load(ctx, source, { embeddingFormat: 'fp8' as never }),
    'InvalidArgumentError',
    /embeddingFormat must be 'int8' or 'bf16', got "fp8"/,
  );
  await rejectsWith(
    () => BitNetModel.load(ctx, source, { linearFormat: 'int4' as never }),
    'InvalidArgumentError',
    /linearFormat must be 'ternary' or 'f32', got "int4"/,
  );
});
