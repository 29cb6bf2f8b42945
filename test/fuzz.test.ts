// Property-based tests: random and mutated model files never make a parser throw anything but
// our typed errors, never hang, and never read past the file (fast-check, bounded runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitNetError } from '../src/errors.ts';
import { parseBitNetConfig } from '../src/model/config.ts';
import { parseManifest } from '../src/loader/manifest.ts';
import { readCheckpointTensors, readSafetensorsHeader } from '../src/loader/safetensors.ts';
import { memorySource, type ByteSource } from '../src/loader/byteSource.ts';
import { ModelTokenizer } from '../src/tokenizer/modelTokenizer.ts';
import { memoryFiles, syntheticCheckpoint, writeSafetensors } from './syntheticCheckpoint.ts';

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
      assert.ok(offset >= 0 && length >= 0 && offset + length <= bytes.byteLength, `read ${offset}+${length} of a ${bytes.byteLength}-byte file`);
      return inner.read(offset, length);
    },
  };
}

const validConfig = syntheticCheckpoint({ hidden: 64, intermediate: 96, layers: 1, heads: 2, kvHeads: 1, vocab: 50, tied: true, mode: 'bitlinear', seed: 1 }).config;

/** A JSON value with the valid one's keys, some replaced by random JSON. */
const mutatedObject = (valid: Record<string, unknown>) =>
  fc.record(Object.fromEntries(Object.keys(valid).map((k) => [k, fc.oneof(fc.constant(valid[k]), fc.jsonValue())])), { requiredKeys: [] });

test('config.json: random and mutated configs give a config or a ModelFormatError', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => onlyTypedErrors(() => parseBitNetConfig(v))), RUNS);
  fc.assert(fc.property(mutatedObject(validConfig), (v) => onlyTypedErrors(() => parseBitNetConfig(v))), RUNS);
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
  fc.assert(fc.property(fc.jsonValue(), (v) => onlyTypedErrors(() => parseManifest(v))), RUNS);
  fc.assert(fc.property(mutatedObject(manifest), (v) => onlyTypedErrors(() => parseManifest(v))), RUNS);
  const tensor = manifest.tensors[0];
  fc.assert(
    fc.property(mutatedObject(tensor), mutatedObject(manifest.shards[0]), (t, s) => onlyTypedErrors(() => parseManifest({ ...manifest, tensors: [t], shards: [s] }))),
    RUNS,
  );
});

test('safetensors: random bytes, mutated headers and flipped bytes never escape the file or the typed errors', async () => {
  const valid = writeSafetensors([
    { name: 'a', dtype: 'F32', shape: [2, 3], data: new Uint8Array(24) },
    { name: 'b', dtype: 'U8', shape: [5], data: new Uint8Array(5) },
  ]);
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), (bytes) => onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(bytes)))), RUNS);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), async (flips) => {
      const bytes = valid.slice();
      for (const [at, x] of flips) bytes[at] ^= x;
      await onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(bytes)));
    }),
    RUNS,
  );
  const headerJson = (entries: unknown) => {
    const json = new TextEncoder().encode(JSON.stringify(entries));
    const out = new Uint8Array(8 + json.length + 64);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    return out;
  };
  const entry = fc.record({ dtype: fc.oneof(fc.constantFrom('F32', 'BF16', 'U8', 'I8', 'F16', 'F64'), fc.jsonValue()), shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 3 }), fc.jsonValue()), data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -4, max: 80 }), fc.integer({ min: -4, max: 80 })), fc.jsonValue()) });
  await fc.assert(fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 }), (h) => onlyTypedErrorsAsync(() => readSafetensorsHeader(guardedSource(headerJson(h))))), RUNS);
});

test('model.safetensors.index.json: mutated indexes give tensors or a ModelFormatError', async () => {
  const { files } = syntheticCheckpoint({ hidden: 64, intermediate: 96, layers: 1, heads: 2, kvHeads: 1, vocab: 50, tied: true, mode: 'bitlinear', seed: 2, shards: 2 });
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const bytes = new Map<string, Uint8Array>();
  for (const n of shardNames) bytes.set(n, await files.open(n).read(0, await files.open(n).size()));
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ weight_map: fc.dictionary(fc.string({ maxLength: 30 }), fc.oneof(fc.constantFrom(...shardNames, '../x.safetensors', 'missing.safetensors'), fc.jsonValue()), { maxKeys: 5 }) })), async (index) => {
      const m = new Map(bytes);
      m.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
      await onlyTypedErrorsAsync(() => readCheckpointTensors(memoryFiles('fuzz', m)));
    }),
    RUNS,
  );
});

test('tokenizer files: random JSON gives a tokenizer or a ModelFormatError', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (t, c) => onlyTypedErrors(() => new ModelTokenizer(t, c, 100))), { ...RUNS, numRuns: 200 });
});
