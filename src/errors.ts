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

/** The prompt, or prompt plus new tokens, does not fit in the model's context or KV cache. */
export class ContextOverflowError extends BitNetError {
  constructor(message: string) {
    super('context-overflow', message);
  }
}
