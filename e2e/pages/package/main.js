// The same code in the Vite app and in the page without a bundler: greedy text from the embedded
// model through each kind of engine, and the errors a page sees, described as plain data.
import { BitNetError, ContextOverflowError, ModelFormatError, createEngine, createWorkerEngine } from 'bitnet-webgpu';

const MODEL = new URL('models/en-11m/', location.href).href;
const MISSING_MODEL = new URL('models/missing/', location.href).href;
const PROMPT = 'The old man walked into the';

const engines = {
  worker: (options) => createWorkerEngine(options),
  'worker from the export': (options) => createWorkerEngine({ ...options, worker: window.startEngineWorker() }),
  'main thread': (options) => createEngine(options),
};

async function errorOf(work) {
  try {
    await work();
  } catch (err) {
    return {
      name: err.name,
      code: err.code,
      text: String(err),
      // keys, not the classes' own names, which a minifier may shorten
      classes: Object.entries({ BitNetError, ContextOverflowError, ModelFormatError })
        .filter(([, c]) => err instanceof c)
        .map(([key]) => key),
    };
  }
  return undefined;
}

window.runEngine = async (kind) => {
  const create = engines[kind];
  const engine = await create({ model: MODEL });
  try {
    let text = '';
    for await (const chunk of engine.generate({ prompt: PROMPT, max_tokens: 12, temperature: 0 })) text += chunk.text;
    const overflow = await errorOf(() =>
      engine.chat.completions.create({ messages: [{ role: 'user', content: PROMPT }], max_tokens: 100_000 }),
    );
    const missingModel = await errorOf(() => create({ model: MISSING_MODEL }));
    return { text, inWorker: !('gpu' in engine), overflow, missingModel };
  } finally {
    engine.dispose();
  }
};
document.title = 'ready';
