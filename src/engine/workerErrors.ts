// Errors cross the worker boundary as data (postMessage cannot carry classes) and come back on
// the page as the same classes, with the same name, code, message and fields.
import {
  BitNetError,
  ContextOverflowError,
  DeviceLostError,
  DisposedError,
  GpuLimitError,
  GpuOutOfMemoryError,
  GpuValidationError,
  IntegrityError,
  InvalidArgumentError,
  ModelFormatError,
  ModelNotFoundError,
  ShaderError,
  WebGpuUnavailableError,
  WorkerError,
} from '../errors.ts';
import { FetchError } from '../loader/byteSource.ts';
import { StorageQuotaError } from '../loader/shardStore.ts';

/** Fields an error class adds (`code`, ModelFormatError's `file`, FetchError's `url` and `status`...). */
export type ErrorFields = Record<string, string | number | boolean>;

/** An error as it crosses postMessage. */
export interface SerializedError {
  /** The error's `name`: its class, for a BitNetError. */
  name: string;
  message: string;
  /** Present for a BitNetError (at least `code`); other errors come back as an Error with their name. */
  fields?: ErrorFields;
}

type BitNetErrorClass = (new (...args: never[]) => BitNetError) & { prototype: BitNetError };

/** Every BitNetError class by its `name` (workerErrors.test.ts checks each key against its class). */
export const ERROR_CLASSES = new Map<string, BitNetErrorClass>([
  ['BitNetError', BitNetError],
  ['WebGpuUnavailableError', WebGpuUnavailableError],
  ['InvalidArgumentError', InvalidArgumentError],
  ['GpuLimitError', GpuLimitError],
  ['ModelFormatError', ModelFormatError],
  ['ModelNotFoundError', ModelNotFoundError],
  ['ContextOverflowError', ContextOverflowError],
  ['DisposedError', DisposedError],
  ['DeviceLostError', DeviceLostError],
  ['GpuOutOfMemoryError', GpuOutOfMemoryError],
  ['GpuValidationError', GpuValidationError],
  ['WorkerError', WorkerError],
  ['ShaderError', ShaderError],
  ['FetchError', FetchError],
  ['IntegrityError', IntegrityError],
  ['StorageQuotaError', StorageQuotaError],
]);

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  if (!(err instanceof BitNetError)) return { name: err.name, message: err.message };
  const fields: ErrorFields = {};
  for (const [key, value] of Object.entries(err)) {
    if (key !== 'name' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
      fields[key] = value;
  }
  return { name: err.name, message: err.message, fields };
}

export function reviveError(data: SerializedError): Error {
  const errorClass = ERROR_CLASSES.get(data.name);
  if (!errorClass || !data.fields) return Object.assign(new Error(data.message), { name: data.name });
  // Not through the class's constructor, which would build the message a second time.
  const err: BitNetError = Object.setPrototypeOf(new Error(data.message), errorClass.prototype);
  return Object.assign(err, data.fields, { name: data.name });
}
