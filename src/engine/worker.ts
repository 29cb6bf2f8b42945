// The engine inside a Web Worker: all GPU work happens here, so the page never stalls. Published as
// bitnet-webgpu/worker (dist/worker.js, self-contained); createWorkerEngine speaks to it.
/// <reference lib="webworker" />
import { serveEngine } from './workerHost.ts';

declare const self: DedicatedWorkerGlobalScope;

serveEngine(self);
