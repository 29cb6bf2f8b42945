import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource, singleFileModel } from '../src/loader/byteSource.ts';
import { openCheckpoint } from '../src/loader/checkpointFormats.ts';
import { openGguf, GgufTensorSource } from '../src/loader/gguf/ggufSource.ts';
import { parseBitNetConfig } from '../src/model/config.ts';
import { tensorPlan } from '../src/model/tensorPlan.ts';
import { packTernary } from '../src/weights/ternaryLayout.ts';
import { toBf16Words } from '../src/loader/dtypes.ts';
import type { RefLinear, RefModel } from './reference/forward.ts';
import { syntheticCheckpoint, type SyntheticOptions } from './syntheticCheckpoint.ts';
import { refModelGguf, storedScale, type GgufModelOptions, type LinearType } from './ggufModels.ts';
import { GGML, f32Bytes, gv } from './ggufWriter.ts';
import { roundToF16 } from './float16.ts';

const NAME = 'synthetic.gguf';

const SMALL: SyntheticOptions = {
  hidden: 256,
  intermediate: 320,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  vocab: 97,
  tied: false,
  mode: 'bitlinear',
  seed: 31,
};

function refLinears(ref: RefModel): Map<string, RefLinear> {
  const m = new Map<string, RefLinear>();
  ref.layers.forEach((l, i) => {
    for (const [k, name] of [
      ['q', 'self_attn.q_proj'],
      ['k', 'self_attn.k_proj'],
      ['v', 'self_attn.v_proj'],
      ['o', 'self_attn.o_proj'],
      ['gate', 'mlp.gate_proj'],
      ['up', 'mlp.up_proj'],
      ['down', 'mlp.down_proj'],
    ] as const)
      m.set(`model.layers.${i}.${name}`, l[k]);
  });
  return m;
}

function refVectors(ref: RefModel): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>([['model.norm.weight', ref.finalNorm]]);
  ref.layers.forEach((l, i) => {
    m.set(`model.layers.${i}.input_layernorm.weight`, l.inputNorm);
    m.set(`model.layers.${i}.post_attention_layernorm.weight`, l.postNorm);
    if (l.attnSubNorm) m.set(`model.layers.${i}.self_attn.attn_sub_norm.weight`, l.attnSubNorm);
    if (l.ffnSubNorm) m.set(`model.layers.${i}.mlp.ffn_sub_norm.weight`, l.ffnSubNorm);
  });
  return m;
}

/** Every tensor of the model's plan, read through `source`, equals the reference's (codes exactly, scales as stored). */
async function expectReference(source: GgufTensorSource, ref: RefModel, linear: LinearType): Promise<void> {
  const linears = refLinears(ref);
  const vectors = refVectors(ref);
  for (const r of tensorPlan(source.config)) {
    source.check(r);
    if (r.kind === 'ternary') {
      const l = linears.get(r.name)!;
      const t = await source.ternary(r.name, r.rows, r.cols);
      assert.deepEqual(t.packed, packTernary(l.w, l.rows, l.cols), r.name);
      // llama.cpp keeps rows that are not whole 256-blocks in F16
      const stored = (linear === 'TQ1_0' || linear === 'TQ2_0') && r.cols % 256 !== 0 ? 'F16' : linear;
      assert.deepEqual(t.rowScale, new Float32Array(r.rows).fill(1 / storedScale(stored, l.divisor)), r.name);
    } else if (r.kind === 'vector') {
      assert.deepEqual(await source.vector(r.name, r.rows), vectors.get(r.name), r.name);
    } else {
      const values = r.name === 'lm_head.weight' ? ref.lmHead : ref.embed;
      const m = await source.bf16Matrix(r.name, r.rows, r.cols);
      assert.deepEqual(m.words, toBf16Words(new Uint8Array(values.buffer.slice(0)), 'F32'), r.name);
    }
  }
}

for (const linear of ['TQ1_0', 'TQ2_0', 'I2_S', 'F16', 'BF16', 'F32'] as const) {
  test(`GGUF source: a ${linear} model gives the reference model's tensors and config`, async () => {
    const checkpoint = syntheticCheckpoint(SMALL);
    const { ref, config } = checkpoint;
    const opened = await openGguf(memorySource(NAME, refModelGguf(checkpoint, { arch: 'bitnet', linear })));
    assert.equal(opened.architecture, 'bitnet');
    const expected = parseBitNetConfig(config);
    assert.deepEqual(opened.source.config, {
      ...expected,
      rmsNormEps: Math.fround(expected.rmsNormEps),
      quantization: { mode: 'offline', linearClass: 'bitlinear', linearNormEps: null },
    });
    await expectReference(opened.source, ref, linear);
  });
}

test('GGUF source: bitnet.cpp architecture names, tied embeddings, F16 and F32 embedding tables', async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, tied: true, seed: 32 });
  const { ref } = checkpoint;
  for (const arch of ['bitnet-25', 'bitnet-b1.58'] as const)
    for (const embedding of ['F16', 'F32'] as const) {
      const opened = await openGguf(memorySource(NAME, refModelGguf(checkpoint, { arch, linear: 'I2_S', embedding })));
      assert.equal(opened.configJson.hidden_act, 'relu2');
      assert.equal(opened.source.config.tieWordEmbeddings, true);
      assert.equal(opened.source.has('lm_head.weight'), false);
      const m = await opened.source.bf16Matrix('model.embed_tokens.weight', SMALL.vocab, SMALL.hidden);
      // the table goes through the file's type: compare with the same rounding
      const stored = embedding === 'F16' ? Float32Array.from(ref.embed, roundToF16) : ref.embed;
      assert.deepEqual(m.words, toBf16Words(new Uint8Array(stored.buffer.slice(0)), 'F32'));
    }
});

test("GGUF source: a llama file is transformers' llama with BitNet quantization, Q and K rows put back in its order", async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 33 });
  for (const linear of ['TQ2_0', 'I2_S', 'F16'] as const) {
    const opened = await openGguf(memorySource(NAME, refModelGguf(checkpoint, { arch: 'llama', linear })));
    assert.equal(opened.configJson.model_type, 'llama');
    const config = opened.source.config;
    assert.equal(config.family, 'llama-bitnet');
    assert.equal(config.hiddenAct, 'silu');
    assert.deepEqual(config.quantization, { mode: 'offline', linearClass: 'bitlinear', linearNormEps: null });
    // no sub-norms in the plan; every other tensor is the reference's, q_proj and k_proj unpermuted
    assert.ok(!tensorPlan(config).some((r) => r.name.includes('sub_norm')));
    await expectReference(opened.source, checkpoint.ref, linear);
  }
});

test("GGUF source: without bitnet.hidden_activation, llama.cpp's bitnet is SiLU (1bitLLM's models)", async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 36 });
  const bytes = refModelGguf(checkpoint, {
    arch: 'bitnet',
    linear: 'TQ1_0',
    metadata: { 'bitnet.hidden_activation': null },
  });
  const opened = await openGguf(memorySource(NAME, bytes));
  assert.equal(opened.configJson.hidden_act, 'silu');
  assert.equal(opened.source.config.hiddenAct, 'silu');
  await expectReference(opened.source, checkpoint.ref, 'TQ1_0');
});

test("GGUF source: linear RoPE scaling in the metadata becomes the config's rope_scaling", async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 39 });
  const bytes = refModelGguf(checkpoint, {
    arch: 'bitnet',
    linear: 'I2_S',
    metadata: { 'bitnet.rope.scaling.type': gv.str('linear'), 'bitnet.rope.scaling.factor': gv.f32(4) },
  });
  const opened = await openGguf(memorySource(NAME, bytes));
  assert.deepEqual(opened.source.config.ropeScaling, { type: 'linear', factor: 4 });
});

test("GGUF source: llama.cpp's optional per-tensor .scale multiplies the weight", async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 34 });
  const { ref } = checkpoint;
  const bytes = refModelGguf(checkpoint, {
    arch: 'bitnet',
    linear: 'F32',
    tensors: [{ name: 'blk.0.attn_v.scale', dims: [1], type: GGML.F32, data: f32Bytes([4]) }],
  });
  const opened = await openGguf(memorySource(NAME, bytes));
  const v = ref.layers[0].v;
  const t = await opened.source.ternary('model.layers.0.self_attn.v_proj', v.rows, v.cols);
  assert.equal(t.rowScale[0], Math.fround(1 / (storedScale('F32', v.divisor) * 4)));
});

let refusalCheckpoint: ReturnType<typeof syntheticCheckpoint> | undefined;

async function refusal(options: Partial<GgufModelOptions>, pattern: RegExp): Promise<void> {
  refusalCheckpoint ??= syntheticCheckpoint({ ...SMALL, seed: 35 });
  const bytes = refModelGguf(refusalCheckpoint, { arch: 'bitnet', linear: 'I2_S', ...options });
  await assert.rejects(openGguf(memorySource(NAME, bytes)), (e: Error) => {
    assert.equal(e.name, 'ModelFormatError', e.message);
    assert.match(e.message, /^synthetic\.gguf/);
    assert.match(e.message, pattern);
    return true;
  });
}

test('GGUF source: unsupported architectures, activations, tensors and RoPE scaling fail fast, naming the key or tensor', async () => {
  await refusal(
    { metadata: { 'general.architecture': gv.str('qwen2') } },
    /metadata general\.architecture: is "qwen2"; supported: llama, bitnet, bitnet-25, bitnet-b1\.58/,
  );
  await refusal({ metadata: { 'bitnet.hidden_activation': gv.str('gelu') } }, /hidden_act "gelu" is not supported/);
  await refusal(
    { tensors: [{ name: 'blk.0.attn_q.bias', dims: [256], type: GGML.F32, data: new Uint8Array(1024) }] },
    /tensor blk\.0\.attn_q\.bias is not part of a bitnet model/,
  );
  await refusal(
    { tensors: [{ name: 'rope_freqs.weight', dims: [32], type: GGML.F32, data: new Uint8Array(128) }] },
    /tensor rope_freqs\.weight \(Llama 3\.1-style RoPE frequency scaling\) is not supported/,
  );
  await refusal(
    { metadata: { 'bitnet.rope.scaling.type': gv.str('yarn'), 'bitnet.rope.scaling.factor': gv.f32(4) } },
    /rope type "yarn" \(rope_scaling\) is not supported/,
  );
  await refusal(
    { metadata: { 'bitnet.rope.dimension_count': gv.u32(32) } },
    /metadata bitnet\.rope\.dimension_count: is 32, but heads are 64 wide/,
  );
  await refusal(
    { metadata: { 'bitnet.vocab_size': gv.u32(1000) } },
    /metadata bitnet\.vocab_size: is 1000, but token_embd\.weight has 97 rows/,
  );
  await refusal(
    { metadata: { 'bitnet.block_count': gv.str('2') } },
    /metadata bitnet\.block_count: expected an integer, got string/,
  );
  await refusal(
    { metadata: { 'bitnet.block_count': gv.u32(5000) } },
    /metadata bitnet\.block_count: is 5000, expected an integer in 0\.\.1024/,
  );
});

test('GGUF source: a tensor of the wrong type, dims or kind is refused when checked, naming it', async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 37 });
  const opened = await openGguf(memorySource(NAME, refModelGguf(checkpoint, { arch: 'bitnet', linear: 'TQ2_0' })));
  const s = opened.source;
  assert.throws(() => s.check({ kind: 'ternary', name: 'model.layers.0.self_attn.q_proj', rows: 128, cols: 256 }), {
    message: /tensor blk\.0\.attn_q\.weight has dims \[256,256\], expected \[256,128\]/,
  });
  assert.throws(() => s.check({ kind: 'vector', name: 'model.layers.0.self_attn.q_proj.weight', rows: 256, cols: 1 }), {
    message:
      /tensor blk\.0\.attn_q\.weight is TQ2_0; this library loads model\.layers\.0\.self_attn\.q_proj\.weight from F32, F16, BF16/,
  });
  assert.throws(() => s.check({ kind: 'vector', name: 'model.layers.9.input_layernorm.weight', rows: 256, cols: 1 }), {
    message: /tensor blk\.9\.attn_norm\.weight \(model\.layers\.9\.input_layernorm\.weight\) is missing/,
  });
});

test('GGUF checkpoint: a file is recognized by its .gguf name; its tokenizer files are there when its metadata has one, and an unsupported one fails the open', async () => {
  const checkpoint = syntheticCheckpoint({ ...SMALL, seed: 38 });
  const bytes = refModelGguf(checkpoint, { arch: 'bitnet', linear: 'TQ2_0' });
  const withoutTokenizer = await openCheckpoint(singleFileModel(memorySource(NAME, bytes), NAME));
  assert.deepEqual(withoutTokenizer.tokenizerFiles, []);
  assert.equal(await withoutTokenizer.readTokenizerFile('tokenizer.json'), undefined);
  assert.equal(withoutTokenizer.configJson.model_type, 'bitnet');

  await assert.rejects(openCheckpoint(singleFileModel(memorySource('model.bin', bytes), 'model.bin')), {
    name: 'ModelFormatError',
    message: /^model\.bin: has no config\.json/,
  });

  const sentencePiece = refModelGguf(checkpoint, {
    arch: 'bitnet',
    linear: 'TQ2_0',
    metadata: { 'tokenizer.ggml.model': gv.str('llama') },
  });
  await assert.rejects(openCheckpoint(singleFileModel(memorySource(NAME, sentencePiece), NAME)), {
    name: 'ModelFormatError',
    message: /^synthetic\.gguf.*tokenizer\.ggml\.model: is "llama"; only "gpt2"/,
  });
});
