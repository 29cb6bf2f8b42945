// bitnet-webgpu in Node: the same API, with WebGPU from the `webgpu` package (Dawn) and
// checkpoint directories on disk.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Engine, type EngineOptions } from '../engine/engine.ts';
import { modelFilesFor } from '../engine/modelLocation.ts';
import type { GpuContext } from '../gpu/context.ts';
import { createNodeGpuContext } from './nodeGpu.ts';
import { directoryFiles } from './fileSource.ts';
import { directoryStore } from './directoryStore.ts';
import { resolveModelUrl } from '../engine/modelLocation.ts';
import type { ShardStore } from '../loader/shardStore.ts';

export * from '../index.ts';
export { createNodeGpuContext } from './nodeGpu.ts';
export { directoryFiles, fileSource } from './fileSource.ts';
export { directoryStore, defaultCacheDir } from './directoryStore.ts';

/**
 * As in the browser; `model` may also be a directory on disk (read in place). Remote models are
 * cached in a directory (see defaultCacheDir) instead of IndexedDB.
 */
export async function createEngine(options: EngineOptions & { gpu?: GpuContext; store?: ShardStore }): Promise<Engine> {
  const gpu = options.gpu ?? (await createNodeGpuContext());
  if (typeof options.model !== 'string') return Engine.load(gpu, options.model, { ...options, modelName: options.model.location });
  const isDir = await stat(options.model).then((s) => s.isDirectory(), () => false);
  if (isDir) return Engine.load(gpu, directoryFiles(path.resolve(options.model)), { ...options, modelName: options.model, store: options.store });
  return Engine.load(gpu, modelFilesFor(options.model), { ...options, modelName: resolveModelUrl(options.model), store: options.store ?? directoryStore() });
}
