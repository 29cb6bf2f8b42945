// Property-based tests: random and mutated model files never make a parser throw anything but
// our typed errors, never hang, and never read past the file (fast-check, bounded runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { BitNetError } from '../src/errors.ts';
import { CONFIG_LIMITS, MAX_TENSORS, parseBitNetConfig } from '../src/model/config.ts';
import { tensorPlan } from '../src/model/tensorPlan.ts';
import { parseManifest } from '../src/loader/manifest.ts';
import { readCheckpointTensors, readSafetensorsHeader } from '../src/loader/safetensors.ts';
import { memorySource, type ByteSource, type ModelFiles } from '../src/loader/byteSource.ts';
import { ModelTokenizer } from '../src/tokenizer/modelTokenizer.ts';
import { MAX_JSON_DEPTH } from '../src/untrustedJson.ts';
import { openModel } from '../src/loader/openModel.ts';
import { Engine } from '../src/engine/engine.ts';
import { directoryFiles } from '../src/node/fileSource.ts';
import { writeModelFolder } from './modelFolders.ts';
import { testGpuContext } from './gpuContext.ts';
import {
  memoryFiles,
  safetensorsWithHeader,
  syntheticCheckpoint,
  syntheticConverted,
  writeSafetensors,
  type SyntheticOptions,
} from './syntheticCheckpoint.ts';
import { readGgufFile } from '../src/loader/gguf/ggufFile.ts';
import { openGguf } from '../src/loader/gguf/ggufSource.ts';
import type { GgufValue } from '../src/loader/gguf/ggufMetadata.ts';
import { ByteBuilder, gv, writeGguf } from './ggufWriter.ts';
import { refModelGguf, type LinearType } from './ggufModels.ts';

const RUNS = { numRuns: 300, seed: 20261123 };

/** Runs `f`; anything thrown must be one of our typed errors. */
function onlyTypedErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof BitNetError, `threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
}

async function onlyTypedErrorsAsync(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof BitNetError, `threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
}

/** A byte source that fails the test if anything reads outside the file. */
function guardedSource(bytes: Uint8Array): ByteSource {
  const inner = memorySource('fuzz.safetensors', bytes);
  return {
    name: inner.name,
    size: inner.size,
    read(offset, length) {
      assert.ok(
        offset >= 0 && length >= 0 && offset + length <= bytes.byteLength,
        `read ${offset}+${length} of a ${bytes.byteLength}-byte file`,
      );
      return inner.read(offset, length);
    },
  };
}

const TINY: SyntheticOptions = {
  hidden: 64,
  intermediate: 96,
  layers: 1,
  heads: 2,
  kvHeads: 1,
  vocab: 50,
  tied: true,
  mode: 'bitlinear',
  seed: 1,
};
const validConfig = syntheticCheckpoint(TINY).config;

/** A JSON value with the valid one's keys, some replaced by random JSON. */
const mutatedObject = (valid: Record<string, unknown>) =>
  fc.record(Object.fromEntries(Object.keys(valid).map((k) => [k, fc.oneof(fc.constant(valid[k]), fc.jsonValue())])), {
    requiredKeys: [],
  });

test('config.json: random and mutated configs give a config or a ModelFormatError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => onlyTypedErrors(() => parseBitNetConfig(v))),
    RUNS,
  );
  fc.assert(
    fc.property(mutatedObject(validConfig), (v) => onlyTypedErrors(() => parseBitNetConfig(v))),
    RUNS,
  );
});

test('manifest.json: random and mutated manifests give a manifest or a ModelFormatError', async () => {
  const manifest = {
    format: 'bitnet-webgpu',
    version: 1,
    config: validConfig,
    tokenizerFiles: ['tokenizer.json'],
    tensors: [{ name: 'model.norm.weight', kind: 'vector', rows: 64, cols: 1, shard: 0, offset: 0, bytes: 256 }],
    shards: [{ file: 'shard-00000.bin', bytes: 256, sha256: 'a'.repeat(64) }],
  };
  fc.assert(
    fc.property(fc.jsonValue(), (v) => onlyTypedErrors(() => parseManifest(v))),
    RUNS,
  );
  fc.assert(
    fc.property(mutatedObject(manifest), (v) => onlyTypedErrors(() => parseManifest(v))),
    RUNS,
  );
  const tensor = manifest.tensors[0];
  fc.assert(
    fc.property(mutatedObject(tensor), mutatedObject(manifest.shards[0]), (t, s) =>
      onlyTypedErrors(() => parseManifest({ ...manifest, tensors: [t], shards: [s] })),
    ),
    RUNS,
  );
});

test('safetensors: random bytes, mutated headers and flipped bytes never escape the file or the typed errors', async () => {
  const valid = writeSafetensors([
    { name: 'a', dtype: 'F32', shape: [2, 3], data: new Uint8Array(24) },
    { name: 'b', dtype: 'U8', shape: [5], data: new Uint8Array(5) },
  ]);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), (bytes) =>
      onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(bytes))),
    ),
    RUNS,
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
      async (flips) => {
        const bytes = valid.slice();
        for (const [at, x] of flips) bytes[at] ^= x;
        await onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(bytes)));
      },
    ),
    RUNS,
  );
  const headerJson = (entries: unknown) => safetensorsWithHeader(JSON.stringify(entries), 64);
  const entry = fc.record({
    dtype: fc.oneof(fc.constantFrom('F32', 'BF16', 'U8', 'I8', 'F16', 'F64'), fc.jsonValue()),
    shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 3 }), fc.jsonValue()),
    data_offsets: fc.oneof(
      fc.tuple(fc.integer({ min: -4, max: 80 }), fc.integer({ min: -4, max: 80 })),
      fc.jsonValue(),
    ),
  });
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 }), (h) =>
      onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(headerJson(h)))),
    ),
    RUNS,
  );
});

test('model.safetensors.index.json: mutated indexes give tensors or a ModelFormatError', async () => {
  const { bytes } = syntheticCheckpoint({ ...TINY, seed: 2, shards: 2 });
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.jsonValue(),
        fc.record({
          weight_map: fc.dictionary(
            fc.string({ maxLength: 30 }),
            fc.oneof(fc.constantFrom(...shardNames, '../x.safetensors', 'missing.safetensors'), fc.jsonValue()),
            { maxKeys: 5 },
          ),
        }),
      ),
      async (index) => {
        const m = new Map(bytes);
        m.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
        await onlyTypedErrorsAsync(() => readCheckpointTensors(memoryFiles('fuzz', m)));
      },
    ),
    RUNS,
  );
});

test('tokenizer files: random JSON gives a tokenizer or a ModelFormatError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (t, c) => onlyTypedErrors(() => new ModelTokenizer(t, c, 100))),
    { ...RUNS, numRuns: 200 },
  );
});

/** JSON text nesting `depth` lists or objects around a number. */
function nestedJson(depth: number, kind: 'list' | 'object'): string {
  return kind === 'list'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The same nesting as a JavaScript value, built without recursion. */
function nestedValue(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const HOLE = '"@@hole@@"';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** `json` with the value at `path` replaced by HOLE, to be filled with raw JSON text. */
function withHole(json: unknown, path: (string | number)[]): string {
  const copy = structuredClone(json) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = HOLE.slice(1, -1);
  return JSON.stringify(copy);
}

interface FieldCase {
  file: string;
  field: string;
  /** The model's files with the field's value replaced by `valueJson`. */
  files(valueJson: string): Map<string, Uint8Array | string>;
  /** Loads through the engine (tokenizer files are parsed there), not only openModel. */
  engine?: boolean;
}

/** One field of every JSON a model folder holds (safetensors headers too), for deep and wide values. */
async function fieldCases(): Promise<FieldCase[]> {
  const hf = syntheticCheckpoint(TINY).bytes;
  const sharded = syntheticCheckpoint({ ...TINY, shards: 2 }).bytes;
  const converted = (await syntheticConverted(TINY)).files;
  const served = new URL('../public/models/bitnet-b1.58-en-11m/', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', served), 'utf8'));
  const withTokenizer = new Map<string, Uint8Array | string>(
    [
      'manifest.json',
      'tokenizer.json',
      'tokenizer_config.json',
      ...manifest.shards.map((s: { file: string }) => s.file),
    ].map((f) => [f, readFileSync(new URL(f, served))]),
  );
  const header = (bytes: Uint8Array) => {
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    return { json: JSON.parse(text(bytes.subarray(8, 8 + length))), dataBytes: bytes.byteLength - 8 - length };
  };
  const replaced = (base: Map<string, Uint8Array | string>, file: string, content: Uint8Array | string) =>
    new Map(base).set(file, content);
  const { json: st, dataBytes } = header(hf.get('model.safetensors')!);
  const firstTensor = Object.keys(st).find((k) => k !== '__metadata__')!;
  const index = JSON.parse(text(sharded.get('model.safetensors.index.json')!));
  const manifestJson = JSON.parse(text(converted.get('manifest.json')!));
  const tokenizerJson = JSON.parse(readFileSync(new URL('tokenizer.json', served), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(new URL('tokenizer_config.json', served), 'utf8'));
  const cases: FieldCase[] = [
    {
      file: 'config.json',
      field: 'model_type',
      files: (v) => replaced(hf, 'config.json', withHole(validConfig, ['model_type']).replace(HOLE, v)),
    },
    ...['dtype', 'shape', 'data_offsets'].map((field) => ({
      file: 'model.safetensors',
      field,
      files: (v: string) =>
        replaced(
          hf,
          'model.safetensors',
          safetensorsWithHeader(withHole(st, [firstTensor, field]).replace(HOLE, v), dataBytes),
        ),
    })),
    {
      file: 'model.safetensors.index.json',
      field: 'weight_map',
      files: (v) =>
        replaced(
          sharded,
          'model.safetensors.index.json',
          withHole(index, ['weight_map', Object.keys(index.weight_map)[0]]).replace(HOLE, v),
        ),
    },
    ...[['format'], ['version'], ['shards', 0, 'file']].map((path) => ({
      file: 'manifest.json',
      field: path.join('.'),
      files: (v: string) => replaced(converted, 'manifest.json', withHole(manifestJson, path).replace(HOLE, v)),
    })),
    {
      file: 'tokenizer.json',
      field: 'pre_tokenizer',
      engine: true,
      files: (v) =>
        replaced(withTokenizer, 'tokenizer.json', withHole(tokenizerJson, ['pre_tokenizer']).replace(HOLE, v)),
    },
    {
      file: 'tokenizer_config.json',
      field: 'chat_template',
      engine: true,
      files: (v) =>
        replaced(withTokenizer, 'tokenizer_config.json', withHole(tokenizerConfig, ['chat_template']).replace(HOLE, v)),
    },
  ];
  return cases;
}

function modelFilesOf(files: Map<string, Uint8Array | string>, where: 'memory' | 'folder'): ModelFiles {
  if (where === 'folder') return directoryFiles(writeModelFolder(files));
  return memoryFiles(
    'memory/',
    new Map([...files].map(([name, v]) => [name, typeof v === 'string' ? new TextEncoder().encode(v) : v])),
  );
}

test('deeply nested JSON (up to 10^5 levels) in any field of any model file: a ModelFormatError naming the file, in well under a second', async () => {
  const cases = await fieldCases();
  const gpu = await testGpuContext();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...cases),
      fc.integer({ min: MAX_JSON_DEPTH + 1, max: 100_000 }),
      fc.constantFrom('list', 'object' as const),
      fc.constantFrom('memory', 'folder' as const),
      async (c, depth, kind, where) => {
        const files = modelFilesOf(c.files(nestedJson(depth, kind)), where);
        const t0 = performance.now();
        await assert.rejects(
          c.engine ? Engine.load(gpu, files, { modelName: 'fuzz' }) : openModel(files),
          (e: Error) => {
            assert.equal(e.name, 'ModelFormatError', `${c.file} ${c.field}: ${e.name}: ${e.message.slice(0, 200)}`);
            assert.match(
              e.message,
              new RegExp(`${c.file.replace('.', '\\.')}.*: nests more than ${MAX_JSON_DEPTH} levels deep`),
            );
            return true;
          },
        );
        assert.ok(performance.now() - t0 < 1000, `${c.file} ${c.field}: ${performance.now() - t0} ms`);
      },
    ),
    { numRuns: 40, seed: 20261124 },
  );
});

test('wide values (10^5-element lists, 10^6-character strings) in model files: a short ModelFormatError naming the file and field', async () => {
  const cases = (await fieldCases()).filter((c) => !c.engine);
  const wide = fc.oneof(
    fc.integer({ min: 1000, max: 100_000 }).map((n) => `[${new Array(n).fill(7).join(',')}]`),
    fc.integer({ min: 1000, max: 1_000_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...cases),
      wide,
      fc.constantFrom('memory', 'folder' as const),
      async (c, value, where) => {
        await assert.rejects(openModel(modelFilesOf(c.files(value), where)), (e: Error) => {
          assert.equal(e.name, 'ModelFormatError', `${c.file} ${c.field}: ${e.name}: ${e.message.slice(0, 200)}`);
          assert.match(e.message, new RegExp(c.file.replace('.', '\\.')));
          assert.match(e.message, new RegExp(c.field.split('.')[0]));
          assert.ok(e.message.length < 500, `a ${e.message.length}-character message`);
          return true;
        });
      },
    ),
    { numRuns: 40, seed: 20261125 },
  );
});

test('deep values handed to the parsers directly are described without recursing through them', () => {
  const deep = nestedValue(100_000);
  for (const field of ['model_type', 'hidden_act', 'rope_theta', 'eos_token_id']) {
    assert.throws(() => parseBitNetConfig({ ...validConfig, [field]: deep }), {
      name: 'ModelFormatError',
      message: new RegExp(`config\\.json: .*${field.split('_')[0]}.*\\[\\[\\[\\[…\\]\\]\\]\\]`),
    });
  }
  const manifest = {
    format: 'bitnet-webgpu',
    version: 1,
    config: validConfig,
    tokenizerFiles: [],
    tensors: [],
    shards: [],
  };
  assert.throws(() => parseManifest({ ...manifest, format: deep }), {
    name: 'ModelFormatError',
    message: /format is \[\[\[\[…\]\]\]\], expected/,
  });
  assert.throws(() => parseManifest({ ...manifest, shards: [{ file: deep, bytes: 1, sha256: 'a'.repeat(64) }] }), {
    name: 'ModelFormatError',
    message: /shards\[0\]\.file \[\[\[\[…\]\]\]\] is not a plain file name/,
  });
});

test('config.json: any counts up to 2^53 give a config within the limits, whose tensor plan stays small, or a ModelFormatError', () => {
  const count = fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
  const counts = fc.record({
    num_hidden_layers: count,
    vocab_size: count,
    max_position_embeddings: count,
    intermediate_size: count,
    hidden_size: fc.constantFrom(64, 2 ** 17, 2 ** 40),
  });
  fc.assert(
    fc.property(counts, (patch) => {
      let config;
      try {
        config = parseBitNetConfig({ ...validConfig, ...patch });
      } catch (err) {
        assert.equal((err as Error).name, 'ModelFormatError');
        return;
      }
      assert.ok(
        config.numLayers <= CONFIG_LIMITS.num_hidden_layers &&
          config.vocabSize <= CONFIG_LIMITS.vocab_size &&
          config.maxPositionEmbeddings <= CONFIG_LIMITS.max_position_embeddings,
      );
      assert.ok(tensorPlan(config).length <= MAX_TENSORS);
    }),
    RUNS,
  );
});

/** A small GGUF model with a tokenizer: every part of the file format and of the model mapping is in it. */
function fuzzGguf(linear: LinearType, hidden: number): Uint8Array {
  const checkpoint = syntheticCheckpoint({ ...TINY, hidden, intermediate: hidden, seed: 3 });
  const tokens = [
    '<s>',
    '</s>',
    ...Array.from({ length: TINY.vocab - 4 }, (_, i) => String.fromCharCode(0x21 + i)),
    'ab',
    'abc',
  ];
  return refModelGguf(checkpoint, {
    arch: 'bitnet-25',
    linear,
    embedding: 'F16',
    metadata: {
      'tokenizer.ggml.model': gv.str('gpt2'),
      'tokenizer.ggml.pre': gv.str('llama-bpe'),
      'tokenizer.ggml.tokens': gv.strs(tokens),
      'tokenizer.ggml.token_type': gv.i32s(tokens.map((_, i) => (i < 2 ? 3 : 1))),
      'tokenizer.ggml.merges': gv.strs(['a b', 'ab c']),
      'tokenizer.chat_template': gv.str('{% for m in messages %}{{ m.content }}{% endfor %}'),
    },
  });
}

/** Opens a GGUF model and reads everything in it: header, config, every tensor, the tokenizer. */
async function loadWholeGguf(source: ByteSource): Promise<void> {
  const opened = await openGguf(source);
  for (const r of tensorPlan(opened.source.config)) {
    opened.source.check(r);
    if (r.kind === 'ternary') await opened.source.ternary(r.name, r.rows, r.cols);
    else if (r.kind === 'vector') await opened.source.vector(r.name, r.rows);
    else await opened.source.bf16Matrix(r.name, r.rows, r.cols);
  }
  const { tokenizerJson, tokenizerConfig } = opened.tokenizerFiles();
  new ModelTokenizer(tokenizerJson, tokenizerConfig, opened.source.config.vocabSize).encode('abc <s>');
}

test('GGUF: random bytes and flipped bytes of a model never escape the file or the typed errors', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 512, size: 'large' }),
        fc
          .uint8Array({ minLength: 16, maxLength: 512, size: 'large' })
          .map((b) => Uint8Array.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...b])),
      ),
      (bytes) => onlyTypedErrorsAsync(() => readGgufFile(guardedSource(bytes))),
    ),
    RUNS,
  );
  for (const valid of [fuzzGguf('I2_S', 128), fuzzGguf('TQ2_0', 256), fuzzGguf('TQ1_0', 256)]) {
    await loadWholeGguf(guardedSource(valid));
    const headerEnd = (await readGgufFile(guardedSource(valid))).dataOffset;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.oneof(fc.nat(headerEnd - 1), fc.nat(valid.length - 1)), fc.integer({ min: 1, max: 255 })),
          { minLength: 1, maxLength: 6 },
        ),
        async (flips) => {
          const bytes = valid.slice();
          for (const [at, x] of flips) bytes[at] ^= x;
          await onlyTypedErrorsAsync(() => loadWholeGguf(guardedSource(bytes)));
        },
      ),
      { ...RUNS, numRuns: 150 },
    );
  }
});

test('GGUF: random headers (counts, value types, lengths, dims, tensor types, offsets) give a file or a ModelFormatError', async () => {
  const u64 = fc.oneof(fc.nat(70), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  const entry = fc.record({
    key: fc.string({ maxLength: 12 }),
    type: fc.oneof(fc.nat(12), fc.nat(2 ** 32 - 1)),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc
        .tuple(fc.constantFrom(...[0, 4, 8, 9]), u64, fc.uint8Array({ maxLength: 24 }))
        .map(([itemType, n, rest]) => new ByteBuilder().u32(itemType).u64(n).raw(rest).finish()),
    ),
  });
  const tensor = fc.record({
    name: fc.string({ maxLength: 12 }),
    dims: fc.array(u64, { maxLength: 5 }),
    type: fc.oneof(fc.constantFrom(0, 1, 8, 30, 34, 35, 36, 38, 39), fc.nat(2 ** 32 - 1)),
    offset: u64,
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { maxLength: 4 }),
      fc.array(tensor, { maxLength: 4 }),
      fc.oneof(u64, fc.constant(-1)),
      fc.nat(2048),
      async (entries, tensors, tensorCount, dataBytes) => {
        const b = new ByteBuilder().u32(0x46554747).u32(3);
        b.u64(tensorCount === -1 ? tensors.length : tensorCount).u64(entries.length);
        for (const e of entries) b.str(e.key).u32(e.type).raw(e.payload);
        for (const t of tensors) {
          b.str(t.name).u32(t.dims.length);
          for (const d of t.dims) b.u64(d);
          b.u32(t.type).u64(t.offset);
        }
        const bytes = b.pad(32).raw(new Uint8Array(dataBytes)).finish();
        await onlyTypedErrorsAsync(() => readGgufFile(guardedSource(bytes)));
      },
    ),
    RUNS,
  );
});

test('GGUF: any value for any metadata key of a model gives a model or a ModelFormatError', async () => {
  const valid = fuzzGguf('I2_S', 128);
  const file = await readGgufFile(guardedSource(valid));
  const keys = [...file.metadata.keys()];
  const value = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n): GgufValue => ({ type: 'uint32', value: n })),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n): GgufValue => ({ type: 'int32', value: n })),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n): GgufValue => ({ type: 'uint64', value: n })),
    fc.float().map((x): GgufValue => ({ type: 'float32', value: x })),
    fc.boolean().map((b): GgufValue => ({ type: 'bool', value: b })),
    fc.string({ maxLength: 40 }).map((s): GgufValue => ({ type: 'string', value: s })),
    fc
      .array(fc.string({ maxLength: 6 }), { maxLength: 80 })
      .map((items): GgufValue => ({ type: 'array', itemType: 'string', items })),
    fc
      .array(fc.integer({ min: -3, max: 300 }), { maxLength: 80 })
      .map((items): GgufValue => ({ type: 'array', itemType: 'int32', items: Int32Array.from(items) })),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...keys), value, async (key, v) => {
      const entries = Object.fromEntries(keys.map((k) => [k, k === key ? v : file.metadata.get(k)!]));
      const tensors = [...file.tensors.values()].map((t) => ({
        name: t.name,
        dims: t.dims,
        type: t.type,
        data: valid.slice(t.offset, t.offset + t.byteLength),
      }));
      await onlyTypedErrorsAsync(() => loadWholeGguf(guardedSource(writeGguf({ metadata: entries, tensors }))));
    }),
    { ...RUNS, numRuns: 200 },
  );
});
