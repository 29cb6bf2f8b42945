// Each family's config.json as the runtime reads it (src/model/config.ts, description.ts,
// tensorPlan.ts), held to what the CPU reference's independent reading of the same file says, to
// transformers' defaults, and to the checkpoint's own tensor names. (Refusals: modelErrors.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBitNetConfig, type BitNetConfig } from '../src/model/config.ts';
import { describeModel } from '../src/model/description.ts';
import { tensorPlan } from '../src/model/tensorPlan.ts';
import { readCheckpointTensors } from '../src/loader/safetensors.ts';
import { directoryFiles } from '../src/node/fileSource.ts';
import { referenceConfig } from './reference/referenceConfig.ts';
import { ropeInverseFrequencies } from './reference/rope.ts';
import { FAMILY_FIXTURES } from './modelChecks.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;
const FOLDERS = ['tiny-a/packed', 'tiny-a/bf16', ...FAMILY_FIXTURES];

const readConfig = (folder: string) => JSON.parse(readFileSync(`${FIXTURES}${folder}/config.json`, 'utf8'));

for (const folder of FOLDERS) {
  test(`${folder}: the runtime reads config.json as the CPU reference does, and plans the checkpoint's tensors`, async () => {
    const json = readConfig(folder);
    const c = parseBitNetConfig(json);
    const d = describeModel(c);
    const ref = referenceConfig(json);
    assert.equal(c.family, ref.family);
    const a = ref.arch;
    assert.deepEqual(
      [d.vocabSize, d.hiddenSize, d.intermediateSize, d.numLayers, d.numHeads, d.numKvHeads, d.headDim],
      [a.vocabSize, a.hiddenSize, a.intermediateSize, a.numLayers, a.numHeads, a.numKvHeads, a.headDim],
    );
    assert.equal(d.rmsNormEps, a.rmsNormEps);
    assert.equal(d.mlpActivation, a.activation);
    assert.equal(d.subNorms, a.subNorms);
    assert.equal(d.linearNormEps, a.linearNormEps);
    assert.equal(d.tieWordEmbeddings, a.tieWordEmbeddings);
    assert.deepEqual(Array.from(d.rope.inverseFrequencies), Array.from(ropeInverseFrequencies(a.rope, a.headDim)));
    const storage = ref.weights.kind === 'master' ? 'online' : 'offline';
    assert.equal(c.quantization.mode, storage);
    if (ref.weights.kind === 'packed')
      assert.equal(c.quantization.linearClass, ref.weights.scale === 'divide' ? 'bitlinear' : 'autobitlinear');

    // every planned tensor is in the checkpoint under that name (ternary ones as <name>.weight)
    const names = new Set((await readCheckpointTensors(directoryFiles(`${FIXTURES}${folder}`))).keys());
    const plan = tensorPlan(c);
    for (const r of plan) {
      const name = r.kind === 'ternary' ? `${r.name}.weight` : r.name;
      assert.ok(names.has(name), `${name} is planned but not in the checkpoint`);
    }
    const planned = new Set(plan.map((r) => r.name));
    if (ref.subNormNames) {
      assert.ok(planned.has(`model.layers.0.${ref.subNormNames.attn}.weight`));
      assert.ok(planned.has(`model.layers.0.${ref.subNormNames.ffn}.weight`));
    } else {
      assert.ok(![...planned].some((n) => /sub_norm|inner_attn_ln|ffn_layernorm/.test(n)), 'no sub-norms planned');
    }
    const linearNorms = [...planned].filter((n) => n.endsWith('.rms_norm.weight'));
    assert.equal(linearNorms.length, a.linearNormEps === null ? 0 : 7 * a.numLayers, 'an input norm per BitLinear');
  });
}

test("absent fields take transformers' LlamaConfig defaults in the llama families, BitNetConfig's in bitnet", () => {
  const llama = parseBitNetConfig({ model_type: 'llama', quantization_config: { quant_method: 'bitnet' } });
  const expected: Partial<BitNetConfig> = {
    family: 'llama-bitnet',
    vocabSize: 32000,
    hiddenSize: 4096,
    intermediateSize: 11008,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 32,
    headDim: 128,
    rmsNormEps: 1e-6,
    hiddenAct: 'silu',
    ropeTheta: 10000,
    ropeScaling: { type: 'default' },
    maxPositionEmbeddings: 2048,
    tieWordEmbeddings: false,
    bosTokenId: 1,
    eosTokenIds: [2],
    quantization: { mode: 'offline', linearClass: 'bitlinear', linearNormEps: null },
  };
  assert.deepEqual(llama, expected);
  const bitnet = parseBitNetConfig({ model_type: 'bitnet', quantization_config: { quant_method: 'bitnet' } });
  assert.deepEqual(
    [bitnet.numKvHeads, bitnet.rmsNormEps, bitnet.hiddenAct, bitnet.ropeTheta, bitnet.bosTokenId, bitnet.eosTokenIds],
    [5, 1e-5, 'relu2', 500000, 128000, [128001]],
  );
  // use_rms_norm's eps is the quantization config's own, 1e-6 unless given
  const normed = parseBitNetConfig({
    model_type: 'llama',
    rms_norm_eps: 1e-5,
    quantization_config: { quant_method: 'bitnet', use_rms_norm: true },
  });
  assert.deepEqual([normed.rmsNormEps, normed.quantization.linearNormEps], [1e-5, 1e-6]);
});

test('the real configurations of every family parse to their shapes (docs/modelFamilies.md)', () => {
  const quantized = { quantization_config: { modules_to_not_convert: ['lm_head'], quant_method: 'bitnet' } };
  // the fields of each repository's config.json that decide the shape
  const configs: [string, Record<string, unknown>, Partial<BitNetConfig>][] = [
    [
      'tiiuae/Falcon3-1B-Instruct-1.58bit',
      {
        model_type: 'llama',
        architectures: ['LlamaForCausalLM'],
        ...quantized,
        is_bitnet_config: true,
        activation: 'swiglu',
        parallel_attn: false,
        hidden_size: 2048,
        intermediate_size: 8192,
        num_hidden_layers: 18,
        num_attention_heads: 8,
        num_key_value_heads: 4,
        head_dim: 256,
        vocab_size: 131072,
        rope_theta: 1000042,
        rope_scaling: null,
        max_position_embeddings: 8192,
        rms_norm_eps: 1e-6,
        eos_token_id: 11,
        tie_word_embeddings: false,
        pretraining_tp: 1,
      },
      {
        family: 'llama-bitnet',
        headDim: 256,
        numKvHeads: 4,
        hiddenAct: 'silu',
        tieWordEmbeddings: false,
        eosTokenIds: [11],
      },
    ],
    [
      'tiiuae/Falcon3-3B-Base-1.58bit',
      {
        model_type: 'llama',
        ...quantized,
        hidden_size: 3072,
        intermediate_size: 9216,
        num_hidden_layers: 22,
        num_attention_heads: 12,
        num_key_value_heads: 4,
        head_dim: 256,
        vocab_size: 131072,
        rope_theta: 1000042,
      },
      { family: 'llama-bitnet', headDim: 256, numHeads: 12, numKvHeads: 4 },
    ],
    [
      'HF1BitLLM/Llama3-8B-1.58-100B-tokens',
      {
        model_type: 'llama',
        quantization_config: { modules_to_not_convert: null, quant_method: 'bitnet' },
        hidden_size: 4096,
        intermediate_size: 14336,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        vocab_size: 128256,
        rope_theta: 500000,
        rope_scaling: null,
        rms_norm_eps: 1e-5,
        bos_token_id: 128000,
        eos_token_id: 128009,
      },
      { family: 'llama-bitnet', headDim: 128, numKvHeads: 8, bosTokenId: 128000, eosTokenIds: [128009] },
    ],
    [
      'tiiuae/Falcon-E-1B-Instruct',
      {
        model_type: 'llama',
        ...quantized,
        hidden_size: 2048,
        intermediate_size: 9216,
        num_hidden_layers: 24,
        num_attention_heads: 16,
        num_key_value_heads: 2,
        head_dim: 128,
        vocab_size: 32768,
        rope_theta: 1000000,
      },
      { family: 'llama-bitnet', headDim: 128, numHeads: 16, numKvHeads: 2 },
    ],
    [
      '1bitLLM/bitnet_b1_58-large',
      {
        architectures: ['BitnetForCausalLM'],
        model_type: 'llama',
        hidden_act: 'silu',
        hidden_size: 1536,
        intermediate_size: 4096,
        num_hidden_layers: 24,
        num_attention_heads: 16,
        num_key_value_heads: 16,
        vocab_size: 32002,
        weight_bits: 1,
        input_bits: 8,
        tie_word_embeddings: true,
        torch_dtype: 'float16',
        rope_scaling: null,
        rope_theta: 10000,
        rms_norm_eps: 1e-5,
        pad_token_id: 32000,
      },
      {
        family: '1bitllm',
        headDim: 96,
        numKvHeads: 16,
        tieWordEmbeddings: true,
        quantization: { mode: 'online', linearClass: 'autobitlinear', linearNormEps: null },
      },
    ],
    [
      '1bitLLM/bitnet_b1_58-3B',
      {
        architectures: ['BitnetForCausalLM'],
        model_type: 'llama',
        hidden_size: 3200,
        intermediate_size: 8640,
        num_hidden_layers: 26,
        num_attention_heads: 32,
        vocab_size: 32002,
        tie_word_embeddings: true,
      },
      { family: '1bitllm', headDim: 100, numKvHeads: 32 },
    ],
  ];
  for (const [repo, json, shape] of configs) {
    const c = parseBitNetConfig(json);
    for (const [key, value] of Object.entries(shape))
      assert.deepEqual(c[key as keyof BitNetConfig], value, `${repo}: ${key}`);
  }
});

test('llama3 and linear RoPE scaling reach the description as scaled inverse frequencies', () => {
  const base = {
    model_type: 'llama',
    quantization_config: { quant_method: 'bitnet' },
    hidden_size: 256,
    num_attention_heads: 2,
  };
  const plain = describeModel(parseBitNetConfig({ ...base, rope_theta: 500000 })).rope.inverseFrequencies;
  // transformers 5 spells it rope_parameters with the theta inside
  const llama3 = parseBitNetConfig({
    ...base,
    max_position_embeddings: 8192,
    rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4 },
  });
  assert.deepEqual(llama3.ropeScaling, {
    type: 'llama3',
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositions: 8192,
  });
  const scaled = describeModel(llama3).rope.inverseFrequencies;
  // the highest frequency (wavelength 2 pi) is kept, the lowest divided by the factor
  assert.equal(scaled[0], plain[0]);
  assert.equal(scaled[scaled.length - 1], Math.fround(plain[plain.length - 1] / 8));
  const linear = describeModel(
    parseBitNetConfig({ ...base, rope_theta: 500000, rope_scaling: { type: 'linear', factor: 4 } }),
  ).rope.inverseFrequencies;
  assert.deepEqual(
    Array.from(linear),
    Array.from(plain, (v) => Math.fround(v / 4)),
  );
});
