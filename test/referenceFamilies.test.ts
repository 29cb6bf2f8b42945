// The CPU reference's family-specific math on cases small enough to check by hand: RoPE scaling,
// the gated MLP's activations, absmean quantization, the RMSNorm inside BitLinear, and its reading
// of each family's config.json. (That it reproduces transformers end to end: referenceModel.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RefArchitecture } from './reference/architecture.ts';
import { bitLinear, gatedMlp, quantizeMaster, rmsNorm, type RefLayer, type RefLinear } from './reference/forward.ts';
import { applyRope, ropeInverseFrequencies } from './reference/rope.ts';
import { referenceConfig } from './reference/referenceConfig.ts';

const FIXTURES = new URL('fixtures/', import.meta.url).pathname;

const close = (actual: number, expected: number, relative: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${actual}, expected ${expected} (relative tolerance ${relative})`,
  );

function arch(overrides: Partial<RefArchitecture>): RefArchitecture {
  return {
    vocabSize: 8,
    hiddenSize: 4,
    intermediateSize: 2,
    numLayers: 1,
    numHeads: 1,
    numKvHeads: 1,
    headDim: 4,
    rmsNormEps: 1e-6,
    activation: 'silu',
    subNorms: false,
    linearNormEps: null,
    rope: { type: 'default', theta: 10000 },
    tieWordEmbeddings: false,
    ...overrides,
  };
}

/** A BitLinear with the given ternary rows and divisor 1 (y = the dequantized input times w). */
function linear(rows: number[][], inputNorm?: Float32Array): RefLinear {
  return { rows: rows.length, cols: rows[0].length, w: Int8Array.from(rows.flat()), divisor: 1, inputNorm };
}

test('llama3 RoPE: each frequency is the default one divided by the factor bitnet.cpp derives for it', () => {
  // Llama 3.1 8B's parameters and the llama-bitnet-untied fixture's (original context 64, head_dim 48)
  for (const [theta, headDim, original] of [
    [500000, 128, 8192],
    [500000, 48, 64],
  ]) {
    const rope = {
      type: 'llama3' as const,
      theta,
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: original,
    };
    const inv = ropeInverseFrequencies(rope, headDim);
    const regimes = new Set<string>();
    for (let i = 0; i < headDim / 2; i++) {
      // computed in float64 the way utils/convert-hf-to-gguf-bitnet.py writes rope_freqs: a divisor per pair
      const base = 1 / Math.pow(theta, (2 * i) / headDim);
      const wavelen = (2 * Math.PI) / base;
      let divisor: number;
      if (wavelen < original / rope.highFreqFactor) {
        divisor = 1;
        regimes.add('kept');
      } else if (wavelen > original / rope.lowFreqFactor) {
        divisor = rope.factor;
        regimes.add('scaled');
      } else {
        const smooth = (original / wavelen - rope.lowFreqFactor) / (rope.highFreqFactor - rope.lowFreqFactor);
        divisor = 1 / ((1 - smooth) / rope.factor + smooth);
        regimes.add('smoothed');
      }
      close(inv[i], base / divisor, 1e-5, `theta ${theta}, head_dim ${headDim}, pair ${i}`);
    }
    assert.deepEqual([...regimes].sort(), ['kept', 'scaled', 'smoothed'], 'every regime is exercised');
  }
});

test('default and linear RoPE frequencies', () => {
  const d = ropeInverseFrequencies({ type: 'default', theta: 10000 }, 8);
  assert.deepEqual(Array.from(d), [1, 0.1, 0.01, 0.001].map(Math.fround));
  const l = ropeInverseFrequencies({ type: 'linear', theta: 10000, factor: 4 }, 8);
  assert.deepEqual(Array.from(l), [0.25, 0.025, 0.0025, 0.00025].map(Math.fround));
});

test('RoPE rotates element i with element i + d/2 by position * inv_freq[i]', () => {
  const inv = new Float32Array([1, 0.5]);
  const v = new Float32Array([1, 2, 0, 0]);
  applyRope(v, 0, inv);
  assert.deepEqual(Array.from(v), [1, 2, 0, 0], 'position 0 is the identity');
  applyRope(v, 3, inv);
  close(v[0], Math.cos(3), 1e-6, 'x0');
  close(v[2], Math.sin(3), 1e-6, 'x2');
  close(v[1], 2 * Math.cos(1.5), 1e-6, 'x1');
  close(v[3], 2 * Math.sin(1.5), 1e-6, 'x3');
});

test('the gated MLP applies SiLU or relu^2 to gate_proj and multiplies by up_proj', () => {
  // x is already on the int8 grid (max 127: s_x = 1), so every product below is exact
  const x = new Float32Array([127, -64, 32, 0]);
  const layer = {
    gate: linear([
      [1, 0, 0, 0],
      [0, 1, -1, 0],
    ]), // g = [127, -96]
    up: linear([
      [0, 0, 1, 1],
      [1, 1, 0, 0],
    ]), // u = [32, 63]
    down: linear([
      [1, 0],
      [0, 1],
      [1, 1],
      [-1, 0],
    ]),
  } as RefLayer;
  // silu(127) * 32 = 4064 (sigmoid(127) rounds to 1); silu(-96) * 63 ~ -6e-39 quantizes to 0
  const silu = gatedMlp(x, layer, arch({ activation: 'silu' }));
  assert.deepEqual(Array.from(silu), [4064, 0, 4064, -4064]);
  // relu(127)^2 * 32 = 516128; relu(-96) = 0
  const relu2 = gatedMlp(x, layer, arch({ activation: 'relu2' }));
  assert.deepEqual(Array.from(relu2), [516128, 0, 516128, -516128]);
});

test('absmean quantization of a master weight: per tensor, round half to even, clamp to {-1, 0, 1}', () => {
  // mean |W| = 1.3 / 6: W * 6 / 1.3 = [1.38, -0.46, 0.23, -2.77, 0, 1.15]
  const a = quantizeMaster(new Float32Array([0.3, -0.1, 0.05, -0.6, 0, 0.25]));
  assert.deepEqual(Array.from(a.w), [1, 0, 0, -1, 0, 1]);
  close(a.divisor, 6 / 1.3, 1e-6, 'divisor = 1 / mean|W|');
  // mean |W| = 1: 0.5 and -0.5 round to 0 (half to even), 1.5 and -1.5 to +-2, clamped to +-1
  const b = quantizeMaster(new Float32Array([0.5, -0.5, 1.5, -1.5]));
  assert.deepEqual(Array.from(b.w), [0, 0, 1, -1]);
  assert.equal(b.divisor, 1);
  // mean |W| below 1e-5 is clamped: the scale stays finite
  const c = quantizeMaster(new Float32Array([1e-7, -2e-7, 0, 0]));
  assert.deepEqual(Array.from(c.w), [0, 0, 0, 0]);
  close(c.divisor, 1e5, 1e-6, 'divisor of a near-zero tensor');
});

test('use_rms_norm: BitLinear normalizes its input with its own weight and eps before quantizing', () => {
  const x = new Float32Array([3, -4, 1, 2]);
  const g = new Float32Array([1, 0.5, 2, 1]);
  const identity = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  const y = bitLinear(x, linear(identity, g), arch({ linearNormEps: 1e-5 }));
  const expected = rmsNorm(x, g, 1e-5); // x / sqrt(mean(x^2) + eps) * g = [1.095, -0.730, 0.730, 0.730]
  for (let i = 0; i < 4; i++) close(y[i], expected[i], 1 / 127, `y[${i}]`);
  assert.throws(() => bitLinear(x, linear(identity), arch({ linearNormEps: 1e-5 })), /input norm/);
  assert.throws(() => bitLinear(x, linear(identity, g), arch({ linearNormEps: null })), /input norm/);
});

test("the reference reads each family's config.json", () => {
  const read = (folder: string) =>
    referenceConfig(JSON.parse(readFileSync(`${FIXTURES}${folder}/config.json`, 'utf8')));

  const untied = read('llama-bitnet-untied');
  assert.equal(untied.family, 'llama-bitnet');
  assert.deepEqual(untied.weights, { kind: 'packed', scale: 'divide' });
  assert.deepEqual(untied.arch.rope, {
    type: 'llama3',
    theta: 500000,
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositions: 64,
  });
  assert.equal(untied.arch.headDim, 48);
  assert.equal(untied.arch.activation, 'silu');
  assert.equal(untied.arch.subNorms, false);
  assert.equal(untied.arch.tieWordEmbeddings, false);

  const falcon = read('falcon-e');
  assert.equal(falcon.arch.numHeads / falcon.arch.numKvHeads, 8);
  assert.equal(falcon.arch.headDim, 128);

  const rmsnorm = read('llama-bitnet-rmsnorm');
  assert.deepEqual(rmsnorm.weights, { kind: 'master' });
  assert.equal(rmsnorm.arch.linearNormEps, 1e-5);
  assert.equal(rmsnorm.arch.rmsNormEps, 1e-6);

  const oneBit = read('bitnet-1bitllm');
  assert.equal(oneBit.family, '1bitllm');
  assert.deepEqual(oneBit.weights, { kind: 'master' });
  assert.deepEqual(oneBit.subNormNames, { attn: 'self_attn.inner_attn_ln', ffn: 'mlp.ffn_layernorm' });
  assert.equal(oneBit.arch.tieWordEmbeddings, true);

  const tinyA = read('tiny-a/packed');
  assert.equal(tinyA.family, 'bitnet');
  assert.equal(tinyA.arch.activation, 'relu2');
  assert.deepEqual(tinyA.subNormNames, { attn: 'self_attn.attn_sub_norm', ffn: 'mlp.ffn_sub_norm' });
});

test('the reference refuses what it does not implement, naming it', () => {
  const base = JSON.parse(readFileSync(`${FIXTURES}llama-bitnet-tied/config.json`, 'utf8'));
  assert.throws(() => referenceConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /yarn/);
  assert.throws(
    () =>
      referenceConfig({ ...base, quantization_config: { quant_method: 'bitnet', modules_to_not_convert: ['q_proj'] } }),
    /lm_head/,
  );
  assert.throws(
    () => referenceConfig({ ...base, quantization_config: { quant_method: 'bitnet', quantization_mode: 'online' } }),
    /bitlinear with quantization_mode online/,
  );
  assert.throws(() => referenceConfig({ ...base, quantization_config: undefined }), /model_type/);
  assert.throws(() => referenceConfig({ ...base, hidden_act: 'gelu' }), /hidden_act/);
});
