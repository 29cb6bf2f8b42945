// bitnet-webgpu: ternary BitNet b1.58 language models on WebGPU (browser entry). Re-exports only.
export { createEngine, type CreateEngineOptions } from './engine/createEngine.ts';
export { Engine } from './engine/engine.ts';
export type { EngineOptions } from './engine/engine.ts';
export type { ChatCompletions, EngineInterface, EngineTokenizer } from './engine/engineInterface.ts';
export type * from './engine/types.ts';
export { formatBytes } from './engine/loadProgress.ts';
export { createWorkerEngine, type WorkerEngine, type WorkerEngineOptions } from './engine/workerEngine.ts';
export {
  clearModelCache,
  deleteCachedModel,
  listCachedModels,
  modelCache,
  requestPersistentStorage,
  resolveCacheName,
} from './engine/defaultModelCache.ts';
export { resolveModelUrl } from './engine/modelLocation.ts';
export { createGpuContext, type GpuContext, type GpuCapabilities } from './gpu/context.ts';
export * from './errors.ts';
export { FetchError } from './loader/byteSource.ts';
export { StorageQuotaError, indexedDbStore, memoryStore, type ShardStore } from './loader/shardStore.ts';
export type { CachedModel } from './loader/modelCache.ts';
export { BitNetModel } from './model/bitnetModel.ts';
export { openHuggingFaceCheckpoint } from './loader/huggingFaceCheckpoint.ts';
export { httpFiles, type ModelFiles } from './loader/byteSource.ts';
export { convertModel } from './loader/convert.ts';
export { parseManifest, type Manifest } from './loader/manifest.ts';
