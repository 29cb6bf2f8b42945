// An app that starts the engine's worker itself, from the package's `worker` export (Vite's ?worker import).
import EngineWorker from 'bitnet-webgpu/worker?worker';

window.startEngineWorker = () => new EngineWorker();
