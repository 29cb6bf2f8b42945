// createEngine in a page (and in the engine's Web Worker): the model by repo id or URL, the GPU
// from navigator.gpu, the weights cached in IndexedDB.
import { createGpuContext, type GpuContext } from '../gpu/context.ts';
import type { ShardStore } from '../loader/shardStore.ts';
import type { ModelFiles } from '../loader/byteSource.ts';
import { loadEngine, type Engine, type EngineOptions, type LoadedEngine } from './engine.ts';
import { modelCache, resolveCacheName } from './defaultModelCache.ts';
import { modelFilesAt } from './modelLocation.ts';

/** createEngine's options: EngineOptions, and the GPU context and cache to use instead of the defaults. */
export type CreateEngineOptions = EngineOptions & { gpu?: GpuContext; store?: ShardStore };

/**
 * Loads a model and returns an engine. `model` is a Hugging Face repo id (`org/name`), the URL
 * of a directory holding our manifest.json and shards, of a Hugging Face checkpoint directory, or
 * of a .gguf file (also spelled `org/name/file.gguf`); checkpoints are converted on the fly.
 * Either way the weights are cached in IndexedDB: a model downloads once.
 */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  return (await openEngine(options)).engine;
}

/**
 * createEngine, also returning the source of the engine's tokenizer. Internal (the package does not
 * export it): for worker.ts, which sends the source to the page.
 */
export async function openEngine(options: CreateEngineOptions): Promise<LoadedEngine> {
  const gpu = options.gpu ?? (await createGpuContext(typeof navigator === 'undefined' ? undefined : navigator.gpu));
  const { files, modelName } = modelFilesAndName(options.model);
  return loadEngine(gpu, files, { ...options, modelName, store: options.store ?? modelCache() });
}

/** A model string resolved once: its URL names the cache entry and locates the files. */
function modelFilesAndName(model: string | ModelFiles): { files: ModelFiles; modelName: string } {
  if (typeof model !== 'string') return { files: model, modelName: model.location };
  const url = resolveCacheName(model);
  return { files: modelFilesAt(url), modelName: url };
}
