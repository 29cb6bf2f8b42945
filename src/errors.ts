// Every class sets `name` as a string literal: class names do not survive minification, and
// programs (and the worker engine, which sends errors to the page by name) rely on it.

/** Every error this library throws on purpose is a BitNetError; `code` is stable for programs. */
export class BitNetError extends Error {
  override name = 'BitNetError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** No WebGPU implementation, no adapter, or no device could be had. */
export class WebGpuUnavailableError extends BitNetError {
  override name = 'WebGpuUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('webgpu-unavailable', message, options);
  }
}

/** A caller passed arguments that cannot work (shapes that do not match, sizes out of range). */
export class InvalidArgumentError extends BitNetError {
  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/** A tensor or buffer would exceed what the adapter allows in one binding or buffer. */
export class GpuLimitError extends BitNetError {
  override name = 'GpuLimitError';
  constructor(message: string) {
    super('gpu-limit', message);
  }
}

/** A model file (config, safetensors, manifest) is malformed or unsupported; names the file and field. */
export class ModelFormatError extends BitNetError {
  override name = 'ModelFormatError';
  readonly file: string;
  constructor(file: string, message: string) {
    super('model-format', `${file}: ${message}`);
    this.file = file;
  }
}

/** A model given as a path on disk (Node) that does not exist or is not a directory. */
export class ModelNotFoundError extends BitNetError {
  override name = 'ModelNotFoundError';
  readonly path: string;
  constructor(path: string) {
    super(
      'model-not-found',
      `not found: ${path} (a model is a directory or a .gguf file on disk, a Hugging Face repo id such as org/name or org/name/file.gguf, or an http(s) URL)`,
    );
    this.path = path;
  }
}

/**
 * A shard is not what its manifest says (size or SHA-256): fetched twice and damaged both times,
 * or damaged on disk or in the cache. Names the file.
 */
export class IntegrityError extends BitNetError {
  override name = 'IntegrityError';
  constructor(message: string) {
    super('integrity', message);
  }
}

/** The prompt, or prompt plus new tokens, does not fit in the model's context or KV cache. */
export class ContextOverflowError extends BitNetError {
  override name = 'ContextOverflowError';
  constructor(message: string) {
    super('context-overflow', message);
  }
}

/** The engine (or model) was disposed: its GPU memory is freed, so it cannot run requests any more. */
export class DisposedError extends BitNetError {
  override name = 'DisposedError';
  constructor(message: string) {
    super('disposed', message);
  }
}

/**
 * The GPU device went away (driver reset, GPU removed or put to sleep, `device.destroy()`). Nothing
 * of the model survives on the GPU: create a new engine (the weights reload from the cache) and
 * send the conversation again.
 */
export class DeviceLostError extends BitNetError {
  override name = 'DeviceLostError';
  /** GPUDeviceLostReason: 'destroyed' or 'unknown'. */
  readonly reason: string;
  /** What the WebGPU implementation said (GPUDeviceLostInfo.message; may be empty). */
  readonly detail: string;
  constructor(reason: string, detail: string) {
    super(
      'device-lost',
      `the GPU device was lost (${reason}${detail ? `: ${detail}` : ''}); create a new engine (the model reloads from the cache) and send the conversation again`,
    );
    this.reason = reason;
    this.detail = detail;
  }
}

/** The GPU could not allocate memory for the model, its KV cache or its working buffers. */
export class GpuOutOfMemoryError extends BitNetError {
  override name = 'GpuOutOfMemoryError';
  constructor(message: string) {
    super('gpu-out-of-memory', message);
  }
}

/** The engine's Web Worker did not start (its script did not load) or crashed. */
export class WorkerError extends BitNetError {
  override name = 'WorkerError';
  constructor(message: string) {
    super('worker', message);
  }
}

/** WebGPU rejected a call (a validation error): a bug here or in the WebGPU implementation; please report it. */
export class GpuValidationError extends BitNetError {
  override name = 'GpuValidationError';
  constructor(message: string) {
    super('gpu-validation', message);
  }
}

/**
 * A kernel's WGSL does not compile on this adapter, or does not fit its wrapper (an include, slot or
 * binding name that does not match): a bug, or an adapter we do not support.
 */
export class ShaderError extends BitNetError {
  override name = 'ShaderError';
  constructor(message: string) {
    super('shader', message);
  }
}
