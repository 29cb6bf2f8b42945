// bitnet-webgpu in Node: the same API, with WebGPU from the `webgpu` package (Dawn) and
// checkpoint directories on disk.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Engine, type EngineOptions } from '../engine/engine.ts';
import { modelFilesFor } from '../engine/modelLocation.ts';
import type { GpuContext } from '../gpu/context.ts';
import { createNodeGpuContext } from './nodeGpu.ts';
import { directoryFiles } from './fileSource.ts';

export * from '../index.ts';
export { createNodeGpuContext } from './nodeGpu.ts';
export { directoryFiles, fileSource } from './fileSource.ts';

/** As in the browser; `model` may also be a directory on disk. */
export async function createEngine(options: EngineOptions & { gpu?: GpuContext }): Promise<Engine> {
  const gpu = options.gpu ?? (await createNodeGpuContext());
  let files = typeof options.model === 'string' ? undefined : options.model;
  if (typeof options.model === 'string') {
    const isDir = await stat(options.model).then((s) => s.isDirectory(), () => false);
    files = isDir ? directoryFiles(path.resolve(options.model)) : modelFilesFor(options.model);
  }
  const modelName = typeof options.model === 'string' ? options.model : options.model.location;
  return Engine.load(gpu, files!, { ...options, modelName });
}
