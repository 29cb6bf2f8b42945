/** Every error this library throws on purpose is a BitNetError; `code` is stable for programs. */
export class BitNetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No WebGPU implementation, no adapter, or no device could be had. */
export class WebGpuUnavailableError extends BitNetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('webgpu-unavailable', message, options);
  }
}

/** A caller passed arguments that cannot work (shapes that do not match, sizes out of range). */
export class InvalidArgumentError extends BitNetError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/** A tensor or buffer would exceed what the adapter allows in one binding or buffer. */
export class GpuLimitError extends BitNetError {
  constructor(message: string) {
    super('gpu-limit', message);
  }
}

/** A model file (config, safetensors, manifest) is malformed or unsupported; names the file and field. */
export class ModelFormatError extends BitNetError {
  readonly file: string;
  constructor(file: string, message: string) {
    super('model-format', `${file}: ${message}`);
    this.file = file;
  }
}

/**
 * A shard is not what its manifest says (size or SHA-256): fetched twice and damaged both times,
 * or damaged on disk or in the cache. Names the file.
 */
export class IntegrityError extends BitNetError {
  constructor(message: string) {
    super('integrity', message);
  }
}

/** The prompt, or prompt plus new tokens, does not fit in the model's context or KV cache. */
export class ContextOverflowError extends BitNetError {
  constructor(message: string) {
    super('context-overflow', message);
  }
}

/**
 * The GPU device went away (driver reset, GPU removed or put to sleep, `device.destroy()`). Nothing
 * of the model survives on the GPU: create a new engine (the weights reload from the cache) and
 * send the conversation again.
 */
export class DeviceLostError extends BitNetError {
  /** GPUDeviceLostReason: 'destroyed' or 'unknown'. */
  readonly reason: string;
  constructor(reason: string, detail: string) {
    super('device-lost', `the GPU device was lost (${reason}${detail ? `: ${detail}` : ''}); create a new engine (the model reloads from the cache) and send the conversation again`);
    this.reason = reason;
  }
}

/** The GPU could not allocate memory for the model, its KV cache or its working buffers. */
export class GpuOutOfMemoryError extends BitNetError {
  constructor(message: string) {
    super('gpu-out-of-memory', message);
  }
}

/** WebGPU rejected a call (a validation error): a bug here or in the WebGPU implementation; please report it. */
export class GpuValidationError extends BitNetError {
  constructor(message: string) {
    super('gpu-validation', message);
  }
}
