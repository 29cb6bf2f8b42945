// bitnet-webgpu: ternary BitNet b1.58 language models on WebGPU (browser entry).
import { createGpuContext, type GpuContext } from './gpu/context.ts';
import { Engine, type EngineOptions } from './engine/engine.ts';
import { modelFilesFor } from './engine/modelLocation.ts';

export { Engine } from './engine/engine.ts';
export type { EngineOptions, EngineTokenizer } from './engine/engine.ts';
export type * from './engine/types.ts';
export { createWorkerEngine, type WorkerEngine } from './engine/workerEngine.ts';
export { createGpuContext, type GpuContext, type GpuCapabilities } from './gpu/context.ts';
export { resolveModelUrl } from './engine/modelLocation.ts';
export * from './errors.ts';
export { FetchError } from './loader/byteSource.ts';
export { ShaderError } from './gpu/computeKernel.ts';

/**
 * Loads a model and returns an engine: `model` is a Hugging Face repo id (`org/name`), or the
 * URL of a directory holding config.json, the safetensors and tokenizer.json.
 */
export async function createEngine(options: EngineOptions & { gpu?: GpuContext }): Promise<Engine> {
  const gpu = options.gpu ?? (await createGpuContext(typeof navigator === 'undefined' ? undefined : navigator.gpu));
  const files = typeof options.model === 'string' ? modelFilesFor(options.model) : options.model;
  const modelName = typeof options.model === 'string' ? options.model : options.model.location;
  return Engine.load(gpu, files, { ...options, modelName });
}
