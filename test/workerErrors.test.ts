// Error classes keep their names under minification (set as literals) and cross the worker
// boundary as the same classes: what createWorkerEngine's page side rebuilds from the worker's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as library from '../src/index.ts';
import {
  BitNetError,
  ContextOverflowError,
  DeviceLostError,
  DisposedError,
  FetchError,
  GpuLimitError,
  GpuOutOfMemoryError,
  GpuValidationError,
  IntegrityError,
  InvalidArgumentError,
  ModelFormatError,
  ModelNotFoundError,
  ShaderError,
  StorageQuotaError,
  WebGpuUnavailableError,
  WorkerError,
} from '../src/index.ts';
import { ERROR_CLASSES, reviveError, serializeError } from '../src/engine/workerErrors.ts';

/** One of each class, under the name it is exported as. */
const samples: Record<string, BitNetError> = {
  BitNetError: new BitNetError('aborted', 'loading was cancelled'),
  WebGpuUnavailableError: new WebGpuUnavailableError('no adapter'),
  InvalidArgumentError: new InvalidArgumentError('max_tokens must be a positive integer'),
  GpuLimitError: new GpuLimitError('too large'),
  ModelFormatError: new ModelFormatError('config.json', 'hidden_size must be a positive integer'),
  ModelNotFoundError: new ModelNotFoundError('./models/missing'),
  ContextOverflowError: new ContextOverflowError('too long'),
  DisposedError: new DisposedError('the engine was disposed'),
  DeviceLostError: new DeviceLostError('destroyed', 'device.destroy() was called'),
  GpuOutOfMemoryError: new GpuOutOfMemoryError('out of memory'),
  GpuValidationError: new GpuValidationError('invalid'),
  WorkerError: new WorkerError('the engine worker did not start'),
  ShaderError: new ShaderError('does not compile'),
  FetchError: new FetchError('https://example.com/m/config.json', 'HTTP 404 Not Found', 404),
  IntegrityError: new IntegrityError('shard-00000.bin failed its SHA-256 twice'),
  StorageQuotaError: new StorageQuotaError('the disk is full'),
};

test('every error class the package exports sets its own name and is known to the worker boundary', () => {
  const exported = Object.entries(library).filter(
    ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
  );
  assert.deepEqual(exported.map(([key]) => key).sort(), Object.keys(samples).sort());
  assert.deepEqual([...ERROR_CLASSES.keys()].sort(), Object.keys(samples).sort());
  for (const [key, value] of exported) {
    assert.equal(ERROR_CLASSES.get(key), value, key);
    assert.ok(samples[key] instanceof value, key);
    assert.equal(samples[key].name, key);
    assert.ok(String(samples[key]).startsWith(`${key}: `), String(samples[key]));
  }
});

test('an error from the worker comes back as the same class with its name, code, message and fields', () => {
  for (const [key, original] of Object.entries(samples)) {
    const revived = reviveError(structuredClone(serializeError(original)));
    const errorClass = ERROR_CLASSES.get(key)!;
    assert.ok(revived instanceof errorClass && revived instanceof BitNetError && revived instanceof Error, key);
    assert.equal(revived.name, key);
    assert.equal(revived.message, original.message);
    assert.deepEqual({ ...revived }, { ...original }, key);
    assert.equal(String(revived), String(original));
  }
  const modelFormat = reviveError(serializeError(samples.ModelFormatError));
  assert.ok(
    modelFormat instanceof ModelFormatError &&
      modelFormat.file === 'config.json' &&
      modelFormat.code === 'model-format',
  );
  const fetchFailed = reviveError(serializeError(samples.FetchError));
  assert.ok(
    fetchFailed instanceof FetchError &&
      fetchFailed.status === 404 &&
      fetchFailed.url === 'https://example.com/m/config.json',
  );
  // errors that are not the library's keep their name and message
  const other = reviveError(serializeError(new TypeError('x is not a function')));
  assert.ok(!(other instanceof BitNetError));
  assert.equal(String(other), 'TypeError: x is not a function');
});
