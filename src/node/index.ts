// bitnet-webgpu in Node: the same API, with WebGPU from the `webgpu` package (Dawn) and
// checkpoint directories on disk.
export * from '../index.ts';
export { createEngine } from './createEngine.ts';
export { createNodeGpuContext, type NodeGpuOptions } from './nodeGpu.ts';
export { directoryFiles, fileSource } from './fileSource.ts';
export { directoryStore, defaultCacheDir } from './directoryStore.ts';
