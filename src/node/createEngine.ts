// createEngine in Node: WebGPU from the `webgpu` package (Dawn); models from directories and .gguf
// files on disk or from URLs, cached in a directory.
import { Engine, type EngineOptions } from '../engine/engine.ts';
import type { GpuContext } from '../gpu/context.ts';
import { createNodeGpuContext } from './nodeGpu.ts';
import { directoryStore } from './directoryStore.ts';
import { locateModel, locationFiles } from './modelLocation.ts';
import type { ShardStore } from '../loader/shardStore.ts';

/**
 * As in the browser; `model` may also be a directory or a .gguf file on disk (read in place; a
 * path that does not exist raises ModelNotFoundError). Remote models are cached in a directory
 * (see defaultCacheDir) instead of IndexedDB.
 */
export async function createEngine(options: EngineOptions & { gpu?: GpuContext; store?: ShardStore }): Promise<Engine> {
  if (typeof options.model !== 'string')
    return Engine.load(options.gpu ?? (await createNodeGpuContext()), options.model, {
      ...options,
      modelName: options.model.location,
    });
  // before the GPU is opened: a wrong path fails at once
  const location = await locateModel(options.model);
  const gpu = options.gpu ?? (await createNodeGpuContext());
  if (location.kind !== 'url')
    return Engine.load(gpu, locationFiles(location), {
      ...options,
      modelName: options.model,
      store: options.store,
    });
  return Engine.load(gpu, locationFiles(location), {
    ...options,
    modelName: location.url,
    store: options.store ?? directoryStore(),
  });
}
