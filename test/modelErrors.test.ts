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
    () => parseBitNetConfig(configWith({ model_type: 'mistral' })),
    'ModelFormatError',
    /config\.json: model_type is "mistral"; supported: model_type "bitnet"; model_type "llama" with quantization_config/,
  );
  await rejectsWith(
    () => parseBitNetConfig(configWith({ hidden_act: 'gelu' })),
    'ModelFormatError',
    /hidden_act "gelu" is not supported \(only "relu2", as BitNet uses, and "silu"/,
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
    () => parseBitNetConfig(configWith({ rope_scaling: { rope_type: 'yarn', factor: 4 } })),
    'ModelFormatError',
    /rope type "yarn" \(rope_scaling\) is not supported; supported rope types: "default", "linear", "llama3"/,
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

test('config.json of the llama families: unsupported variants are refused, naming the field and what is supported', async () => {
  const llama = (patch: Record<string, unknown>) => ({
    ...syntheticCheckpoint({ ...SMALL, family: 'llama-bitnet' }).config,
    ...patch,
  });
  const oneBit = (patch: Record<string, unknown>) => ({
    ...syntheticCheckpoint({ ...SMALL, family: '1bitllm', mode: 'online' }).config,
    ...patch,
  });
  const quantized = (patch: Record<string, unknown>) =>
    llama({ quantization_config: { quant_method: 'bitnet', ...patch } });
  const refusals: [Record<string, unknown>, RegExp][] = [
    // a plain Llama is not ternary
    [
      llama({ quantization_config: undefined }),
      /model_type "llama" with architectures \["LlamaForCausalLM"\] and no quantization_config is a full-precision Llama, not a ternary model; supported: /,
    ],
    [llama({ quantization_config: null }), /full-precision Llama/],
    [quantized({ quant_method: 'gptq' }), /quantization_config\.quant_method is "gptq", expected "bitnet"/],
    [
      llama({ quantization_config: 'bitnet' }),
      /quantization_config must be an object with quant_method "bitnet", got "bitnet"/,
    ],
    // transformers builds packed BitLinear modules for bitlinear whatever the mode
    [
      quantized({ linear_class: 'bitlinear', quantization_mode: 'online' }),
      /linear_class "bitlinear" with quantization_mode "online" is not supported \(packed weights need "offline"; master weights need linear_class "autobitlinear"\)/,
    ],
    [
      quantized({ linear_class: 'bitlinear158' }),
      /quantization_config\.linear_class "bitlinear158" is not "bitlinear" or "autobitlinear"/,
    ],
    [quantized({ use_rms_norm: 'yes' }), /quantization_config\.use_rms_norm must be true or false, got "yes"/],
    [
      quantized({ use_rms_norm: true, rms_norm_eps: 0 }),
      /quantization_config\.rms_norm_eps must be a small positive number/,
    ],
    [
      quantized({ modules_to_not_convert: ['lm_head', 'q_proj'] }),
      /modules_to_not_convert \["lm_head","q_proj"\]: only lm_head/,
    ],
    // RoPE that changes with the sequence length, scales the attention or turns part of a head
    ...['dynamic', 'yarn', 'longrope'].map((type): [Record<string, unknown>, RegExp] => [
      llama({ rope_scaling: { rope_type: type, factor: 4 } }),
      new RegExp(
        `rope type "${type}" \\(rope_scaling\\) is not supported; supported rope types: "default", "linear", "llama3"`,
      ),
    ]),
    [llama({ rope_scaling: { type: 'su', factor: 4 } }), /rope type "su" \(rope_scaling\) is not supported/],
    [
      llama({ rope_parameters: { rope_type: 'proportional', rope_theta: 10000 } }),
      /rope type "proportional" \(rope_parameters\)/,
    ],
    [
      llama({ partial_rotary_factor: 0.5 }),
      /partial_rotary_factor 0\.5 is not supported: RoPE turns every dimension of a head here/,
    ],
    [
      llama({ rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 } }),
      /rope_parameters\.partial_rotary_factor 0\.25 is not supported/,
    ],
    [
      llama({ rope_scaling: { rope_type: 'llama3', factor: 8 } }),
      /rope_scaling\.low_freq_factor must be a positive number for rope type "llama3", got undefined/,
    ],
    [
      llama({ rope_scaling: { rope_type: 'linear' } }),
      /rope_scaling\.factor must be a positive number for rope type "linear"/,
    ],
    [
      llama({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 1 } }),
      /high_freq_factor must be larger than low_freq_factor/,
    ],
    [llama({ rope_scaling: [1, 2] }), /rope_scaling must be an object, got \[1,2\]/],
    // what the kernels cannot run
    [llama({ hidden_act: 'gelu_pytorch_tanh' }), /hidden_act "gelu_pytorch_tanh" is not supported/],
    [llama({ mlp_bias: true }), /attention_bias \/ mlp_bias are not supported/],
    [
      llama({ num_attention_heads: 16, num_key_value_heads: 1, head_dim: 16 }),
      /16 query heads per KV head; the attention kernel supports at most 8/,
    ],
    [llama({ head_dim: 512 }), /head_dim 512 must be a multiple of 4 and at most 256/],
    // 1bitLLM
    [oneBit({ weight_bits: 2 }), /weight_bits is 2; 1bitLLM checkpoints run with weight_bits 1 and input_bits 8 only/],
    [oneBit({ input_bits: 4 }), /input_bits is 4/],
    // use_rms_norm with BitNet's sub-norms would normalize twice in a row: no checkpoint does
    [
      configWith({ quantization_config: { quant_method: 'bitnet', use_rms_norm: true } }),
      /quantization_config\.use_rms_norm is supported for model_type "llama" only/,
    ],
  ];
  for (const [config, message] of refusals) {
    await rejectsWith(
      () => parseBitNetConfig(config),
      'ModelFormatError',
      new RegExp(`^config\\.json: .*${message.source}`),
    );
  }
  // the same configs parse once the field is left out
  assert.equal(parseBitNetConfig(llama({})).family, 'llama-bitnet');
  assert.equal(parseBitNetConfig(oneBit({})).family, '1bitllm');
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
