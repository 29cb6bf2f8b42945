// The chat demo: the public API only (the package by name), the engine in a Web Worker.
import {
  createWorkerEngine,
  deleteCachedModel,
  listCachedModels,
  requestPersistentStorage,
  type ChatMessage,
  type EngineStats,
  type LoadProgress,
  type WorkerEngine,
} from 'bitnet-webgpu';

const DEFAULT_MODEL = new URL('models/bitnet-b1.58-en-11m/', location.href).href;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  modelForm: $<HTMLFormElement>('model-form'),
  customModel: $<HTMLInputElement>('custom-model'),
  load: $<HTMLButtonElement>('load'),
  cancelLoad: $<HTMLButtonElement>('cancel-load'),
  progress: $<HTMLDivElement>('load-progress'),
  progressBar: $<HTMLProgressElement>('progress-bar'),
  progressText: $<HTMLParagraphElement>('progress-text'),
  gpuError: $<HTMLParagraphElement>('gpu-error'),
  chat: $<HTMLElement>('chat'),
  messages: $<HTMLOListElement>('messages'),
  promptForm: $<HTMLFormElement>('prompt-form'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  regenerate: $<HTMLButtonElement>('regenerate'),
  clear: $<HTMLButtonElement>('clear'),
  continueMode: $<HTMLInputElement>('continue-mode'),
  temperature: $<HTMLInputElement>('temperature'),
  topP: $<HTMLInputElement>('top-p'),
  maxTokens: $<HTMLInputElement>('max-tokens'),
  seed: $<HTMLInputElement>('seed'),
  stats: $<HTMLParagraphElement>('stats'),
  cache: $<HTMLDivElement>('cache'),
  cacheList: $<HTMLUListElement>('cache-list'),
};

let engine: WorkerEngine | undefined;
let loading: AbortController | undefined;
let generating: AbortController | undefined;
/** The conversation; it outlives the engine (a lost GPU does not lose it). */
const conversation: ChatMessage[] = [];

function showError(message: string): void {
  ui.gpuError.textContent = message;
  ui.gpuError.hidden = false;
}

function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

function showProgress(p: LoadProgress, started: number): void {
  const fraction = p.total ? p.done / p.total : 0;
  ui.progressBar.value = fraction;
  const seconds = (performance.now() - started) / 1000;
  const rate = p.done / Math.max(seconds, 1e-3);
  const left = rate > 0 ? (p.total - p.done) / rate : 0;
  const what =
    p.phase === 'upload'
      ? `Placing weights on the GPU: ${p.done} of ${p.total} tensors (${left.toFixed(1)} s left)`
      : p.unit === 'bytes'
        ? `Downloading and verifying: ${formatBytes(p.done)} of ${formatBytes(p.total)} (${formatBytes(rate)}/s, ${left.toFixed(0)} s left)`
        : `Converting the checkpoint: ${p.done} of ${p.total} tensors (${left.toFixed(0)} s left)`;
  ui.progressText.textContent = what;
}

/** The cached models, each with its size and a delete button. */
async function showCache(): Promise<void> {
  const models = await listCachedModels().catch(() => []);
  ui.cache.hidden = models.length === 0;
  ui.cacheList.replaceChildren(
    ...models.map((m) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = `${m.model.replace(location.origin, '')} — ${formatBytes(m.bytes)}${m.complete ? '' : ' (incomplete)'}`;
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', `Delete ${m.model} from this browser`);
      del.addEventListener('click', async () => {
        await deleteCachedModel(m.model);
        await showCache();
      });
      li.append(name, del);
      return li;
    }),
  );
}

function chosenModel(): string {
  const choice = (new FormData(ui.modelForm).get('model') as string) ?? 'default';
  if (choice === 'default') return DEFAULT_MODEL;
  if (choice === 'custom') return ui.customModel.value.trim();
  return choice;
}

async function loadModel(model: string): Promise<void> {
  if (!model) {
    showError('Enter a Hugging Face repo id (org/name) or the URL of a model directory.');
    return;
  }
  loading?.abort();
  engine?.dispose();
  engine = undefined;
  loading = new AbortController();
  ui.gpuError.hidden = true;
  ui.progress.hidden = false;
  ui.cancelLoad.hidden = false;
  ui.load.disabled = true;
  ui.progressBar.value = 0;
  ui.progressText.textContent = 'Starting…';
  const started = performance.now();
  try {
    engine = await createWorkerEngine({ model, signal: loading.signal, onProgress: (p) => showProgress(p, started) });
    engine.onDeviceLost = deviceLost;
    ui.progressText.textContent = `Ready in ${((performance.now() - started) / 1000).toFixed(1)} s on ${engine.adapter}.`;
    ui.progressBar.value = 1;
    ui.continueMode.checked = engine.chatFormat === 'plain';
    void requestPersistentStorage().catch(() => false);
    void showCache();
    ui.chat.hidden = false;
    ui.stats.textContent = `Adapter: ${engine.adapter}`;
    renderConversation();
    ui.prompt.focus();
  } catch (err) {
    ui.progress.hidden = true;
    showError(explain(err));
    void showCache();
  } finally {
    ui.cancelLoad.hidden = true;
    ui.load.disabled = false;
  }
}

/** The GPU went away: the engine is gone, the conversation is not. */
function deviceLost(err: Error): void {
  showError(`${err.message}\nYour conversation is kept. Press “Load model” to continue on a new GPU device.`);
  ui.chat.hidden = true;
  engine?.dispose();
  engine = undefined;
}

function explain(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.code === 'aborted') return 'Loading was cancelled.';
  if (e.code === 'webgpu-unavailable') {
    return `${e.message}\nThis demo needs WebGPU: use a recent Chrome or Edge (or Safari 26+), and check that hardware acceleration is on.`;
  }
  return `Could not load the model: ${e.message ?? String(err)}`;
}

function messageItem(m: ChatMessage): HTMLLIElement {
  const li = document.createElement('li');
  li.className = m.role;
  if (m.role === 'assistant') li.dataset.testid = 'message-assistant';
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = m.role === 'user' ? 'You' : 'Model';
  const body = document.createElement('span');
  body.className = 'body';
  body.textContent = m.content; // always text: model output is never parsed as HTML
  li.append(who, body);
  return li;
}

function renderConversation(): void {
  ui.messages.replaceChildren(...conversation.map(messageItem));
  ui.regenerate.disabled = !conversation.some((m) => m.role === 'assistant');
}

function settings() {
  const seed = ui.seed.value.trim();
  return {
    temperature: Number(ui.temperature.value),
    top_p: Number(ui.topP.value),
    max_tokens: Number(ui.maxTokens.value),
    ...(seed === '' ? {} : { seed: Number(seed) }),
  };
}

function showStats(s: EngineStats): void {
  ui.stats.textContent =
    `Time to first token ${s.timeToFirstTokenMs.toFixed(0)} ms · prefill ${s.prefillTokensPerSecond.toFixed(0)} tok/s` +
    ` · decode ${s.decodeTokensPerSecond.toFixed(1)} tok/s · ${s.completionTokens} tokens · ${s.adapter}`;
}

async function reply(): Promise<void> {
  if (!engine) return;
  const answer: ChatMessage = { role: 'assistant', content: '' };
  conversation.push(answer);
  const li = messageItem(answer);
  ui.messages.append(li);
  const body = li.querySelector('.body')!;
  generating = new AbortController();
  ui.send.disabled = true;
  ui.stop.disabled = false;
  ui.regenerate.disabled = true;
  try {
    const signal = generating.signal;
    if (ui.continueMode.checked) {
      const text = conversation.slice(0, -1).map((m) => m.content).join('');
      for await (const chunk of engine.generate({ prompt: text, ...settings(), signal })) {
        answer.content += chunk.text;
        body.textContent = answer.content;
        ui.messages.scrollTop = ui.messages.scrollHeight;
      }
    } else {
      const stream = await engine.chat.completions.create({ messages: conversation.slice(0, -1), stream: true, ...settings(), signal });
      for await (const chunk of stream) {
        answer.content += chunk.choices[0].delta.content ?? '';
        body.textContent = answer.content;
        ui.messages.scrollTop = ui.messages.scrollHeight;
      }
    }
    showStats(engine.stats());
  } catch (err) {
    if ((err as { code?: string }).code === 'device-lost') deviceLost(err as Error);
    else showError(`Generation failed: ${(err as Error).message}`);
  } finally {
    generating = undefined;
    ui.send.disabled = false;
    ui.stop.disabled = true;
    ui.regenerate.disabled = false;
  }
}

ui.modelForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void loadModel(chosenModel());
});
ui.cancelLoad.addEventListener('click', () => loading?.abort());
ui.promptForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.prompt.value;
  if (!text.trim() || generating || !engine) return;
  conversation.push({ role: 'user', content: text });
  ui.prompt.value = '';
  renderConversation();
  void reply();
});
ui.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    ui.promptForm.requestSubmit();
  }
});
ui.stop.addEventListener('click', () => generating?.abort());
ui.regenerate.addEventListener('click', () => {
  if (generating || conversation.at(-1)?.role !== 'assistant') return;
  conversation.pop();
  renderConversation();
  void reply();
});
ui.clear.addEventListener('click', () => {
  generating?.abort();
  conversation.length = 0;
  renderConversation();
});

if (!('gpu' in navigator) || !navigator.gpu) {
  showError('WebGPU is not available in this browser, so the model cannot run here.\nUse a recent Chrome or Edge (or Safari 26+) over https or localhost, with hardware acceleration on.');
  ui.load.disabled = true;
} else {
  void loadModel(DEFAULT_MODEL);
}
