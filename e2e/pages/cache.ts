// Loading through the public API with the IndexedDB cache, driven by e2e/modelCache.e2e.ts.
import { createEngine, listCachedModels, clearModelCache, type LoadProgress } from '../../src/index.ts';

interface LoadResult {
  ok: boolean;
  error?: { name: string; message: string };
  progress: LoadProgress[];
  logits?: number[];
}

async function load(model: string, options: { abortAfterMs?: number; ids?: number[] } = {}): Promise<LoadResult> {
  const progress: LoadProgress[] = [];
  const controller = new AbortController();
  if (options.abortAfterMs !== undefined) setTimeout(() => controller.abort(), options.abortAfterMs);
  try {
    const engine = await createEngine({ model, signal: controller.signal, onProgress: (p) => progress.push({ ...p }) });
    const logits = options.ids ? Array.from(await engine.model.logits(options.ids)) : undefined;
    engine.dispose();
    return { ok: true, progress, logits };
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: { name: e.name, message: e.message }, progress };
  }
}

Object.assign(window, { load, listCachedModels, clearModelCache, pageReady: true });
