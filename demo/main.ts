// The chat demo: the public API only (the package by name), the engine in a Web Worker.
import {
  createWorkerEngine,
  deleteCachedModel,
  formatBytes,
  listCachedModels,
  requestPersistentStorage,
  type ChatMessage,
  type EngineStats,
  type LoadProgress,
  type WorkerEngine,
} from 'bitnet-webgpu';
import { continuedText } from './continuation.ts';

const DEFAULT_MODEL = new URL('models/bitnet-b1.58-en-11m/', location.href).href;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  modelPanel: $<HTMLDetailsElement>('model-panel'),
  modelStatus: $<HTMLSpanElement>('model-status'),
  modelForm: $<HTMLFormElement>('model-form'),
  customModel: $<HTMLInputElement>('custom-model'),
  load: $<HTMLButtonElement>('load'),
  cancelLoad: $<HTMLButtonElement>('cancel-load'),
  progress: $<HTMLDivElement>('load-progress'),
  progressBar: $<HTMLProgressElement>('progress-bar'),
  progressText: $<HTMLParagraphElement>('progress-text'),
  gpuError: $<HTMLParagraphElement>('gpu-error'),
  chat: $<HTMLElement>('chat'),
  chatOff: $<HTMLDivElement>('chat-off'),
  chatOffReason: $<HTMLParagraphElement>('chat-off-reason'),
  backToModel: $<HTMLButtonElement>('back-to-model'),
  modeNote: $<HTMLParagraphElement>('mode-note'),
  messages: $<HTMLOListElement>('messages'),
  replyStatus: $<HTMLParagraphElement>('reply-status'),
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
/** The last model that loaded: where "back" goes after a failed load. */
let workingModel: string | undefined;
/** Why chat is off (a failed load, a lost GPU); undefined while it works. */
let chatOffReason: string | undefined;
/** The conversation; it outlives the engine (a lost GPU does not lose it). */
const conversation: ChatMessage[] = [];

/** How the page names a model: the default by its name, others as given (same-origin URLs by path). */
function modelName(model: string): string {
  return model === DEFAULT_MODEL ? 'bitnet-b1.58-en-11m' : model.replace(location.origin, '');
}

function showError(message: string): void {
  ui.gpuError.textContent = message;
  ui.gpuError.hidden = false;
}

/** Where the download started (time and bytes already there), for its speed. */
let downloadStart: { at: number; done: number } | undefined;

function showProgress(p: LoadProgress): void {
  ui.progressBar.value = p.fraction;
  ui.progressBar.setAttribute('aria-valuetext', p.text);
  let speed = '';
  if (p.phase === 'download') {
    downloadStart ??= { at: performance.now(), done: p.done };
    const rate = (p.done - downloadStart.done) / Math.max((performance.now() - downloadStart.at) / 1000, 1e-3);
    if (rate > 0 && p.done < p.total)
      speed = ` · ${formatBytes(rate)}/s, about ${Math.ceil((p.total - p.done) / rate)} s left`;
  }
  ui.progressText.textContent = p.text + speed;
}

/** The cached models, each with its size and a delete button. */
async function showCache(): Promise<void> {
  const models = await listCachedModels().catch(() => []);
  ui.cache.hidden = models.length === 0;
  ui.cacheList.replaceChildren(
    ...models.map((m) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = `${modelName(m.model)} — ${formatBytes(m.bytes)}${m.complete ? '' : ' (incomplete)'}`;
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', `Delete ${modelName(m.model)} from this browser`);
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

/** Ticks the choice that loads `model` (the custom field for anything not listed). */
function choose(model: string): void {
  const radios = [...ui.modelForm.querySelectorAll<HTMLInputElement>('input[name=model]')];
  const listed = radios.find((r) => r.value === (model === DEFAULT_MODEL ? 'default' : model));
  if (!listed) ui.customModel.value = model;
  (listed ?? radios.find((r) => r.value === 'custom')!).checked = true;
}

/**
 * Chat on, or off with the reason and a button back to the last model that worked (the default
 * model when none has).
 */
function setChatOff(reason: string | undefined): void {
  chatOffReason = reason;
  ui.chatOff.hidden = reason === undefined;
  ui.chatOffReason.textContent = reason ?? '';
  ui.backToModel.textContent = `Load ${modelName(workingModel ?? DEFAULT_MODEL)} again`;
  updateControls();
}

/** What can be pressed: sending needs a model and no reply in progress. */
function updateControls(): void {
  const usable = engine !== undefined && chatOffReason === undefined;
  ui.prompt.disabled = chatOffReason !== undefined;
  ui.send.disabled = !usable || generating !== undefined;
  ui.stop.disabled = generating === undefined;
  ui.regenerate.disabled = !usable || generating !== undefined || conversation.at(-1)?.role !== 'assistant';
}

/** Models without a chat format (plain text) can only continue text: say so, and keep them there. */
function applyChatFormat(e: WorkerEngine, model: string): void {
  const plain = e.chatFormat === 'plain';
  ui.continueMode.checked = plain;
  ui.continueMode.disabled = plain;
  ui.modeNote.hidden = !plain;
  ui.modeNote.textContent = plain
    ? `Chat is off: ${modelName(model)} has no chat template, so it continues your text instead.`
    : '';
  updatePlaceholder();
}

function updatePlaceholder(): void {
  ui.prompt.placeholder = ui.continueMode.checked
    ? 'Start a text for the model to continue (Enter sends)'
    : 'Type a message (Enter sends, Shift+Enter: new line)';
}

async function loadModel(model: string): Promise<void> {
  if (!model) {
    showError(
      'Enter a Hugging Face repo id (org/name), a GGUF file in one (org/name/file.gguf), or the URL of a model directory or .gguf file.',
    );
    return;
  }
  loading?.abort();
  engine?.dispose();
  engine = undefined;
  const attempt = (loading = new AbortController());
  downloadStart = undefined;
  const name = modelName(model);
  ui.gpuError.hidden = true;
  ui.progress.hidden = false;
  ui.cancelLoad.hidden = false;
  ui.load.disabled = true;
  ui.progressBar.value = 0;
  ui.progressText.textContent = 'Starting…';
  ui.modelStatus.textContent = `Loading ${name}…`;
  ui.modeNote.hidden = true;
  updateControls();
  const started = performance.now();
  try {
    const loaded = await createWorkerEngine({ model, signal: attempt.signal, onProgress: showProgress });
    if (loading !== attempt) {
      loaded.dispose();
      return;
    }
    engine = loaded;
    engine.onDeviceLost = deviceLost;
    workingModel = model;
    ui.progress.hidden = true;
    ui.modelStatus.textContent = `${name}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s on ${engine.adapter}`;
    ui.modelPanel.open = false;
    applyChatFormat(engine, model);
    void requestPersistentStorage().catch(() => false);
    void showCache();
    ui.chat.hidden = false;
    ui.stats.textContent = `Adapter: ${engine.adapter}`;
    renderConversation();
    setChatOff(undefined);
    ui.prompt.focus();
  } catch (err) {
    if (loading !== attempt) return;
    ui.progress.hidden = true;
    const reason = explain(err);
    showError(reason);
    ui.modelStatus.textContent = `${name} is not loaded`;
    ui.modelPanel.open = true;
    setChatOff(`Chat is off: ${name} could not be loaded.`);
    void showCache();
  } finally {
    if (loading === attempt) {
      loading = undefined;
      ui.cancelLoad.hidden = true;
      ui.load.disabled = false;
    }
  }
}

/** The GPU went away: the engine is gone, the conversation is not. */
function deviceLost(err: Error): void {
  showError(`${err.message}\nYour conversation is kept. Press “Load model” to continue on a new GPU device.`);
  engine?.dispose();
  engine = undefined;
  ui.modelStatus.textContent = 'The GPU device was lost';
  ui.modelPanel.open = true;
  setChatOff('Chat is off: the GPU device was lost.');
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
  updateControls();
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

/** Three dots in the reply until its first text arrives (the reply says it is busy to assistive tech). */
function busyIndicator(): HTMLSpanElement {
  const dots = document.createElement('span');
  dots.className = 'busy';
  dots.dataset.testid = 'busy-indicator';
  dots.setAttribute('aria-hidden', 'true');
  dots.append(...[0, 1, 2].map(() => document.createElement('span')));
  return dots;
}

async function reply(): Promise<void> {
  if (!engine) return;
  const answer: ChatMessage = { role: 'assistant', content: '' };
  conversation.push(answer);
  const li = messageItem(answer);
  // Busy while streaming: assistive tech reads the reply once, when it is done, not token by token.
  li.setAttribute('aria-busy', 'true');
  const body = li.querySelector('.body')!;
  const busy = busyIndicator();
  li.append(busy);
  ui.messages.append(li);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.replyStatus.textContent = 'The model is writing a reply…';
  const show = (text: string) => {
    if (!text) return;
    answer.content += text;
    busy.remove();
    body.textContent = answer.content;
    ui.messages.scrollTop = ui.messages.scrollHeight;
  };
  generating = new AbortController();
  updateControls();
  try {
    const signal = generating.signal;
    if (ui.continueMode.checked) {
      for await (const chunk of engine.generate({
        prompt: continuedText(conversation.slice(0, -1)),
        ...settings(),
        signal,
      }))
        show(chunk.text);
    } else {
      const stream = await engine.chat.completions.create({
        messages: conversation.slice(0, -1),
        stream: true,
        ...settings(),
        signal,
      });
      for await (const chunk of stream) show(chunk.choices[0].delta.content ?? '');
    }
    showStats(engine.stats());
  } catch (err) {
    if ((err as { code?: string }).code === 'device-lost') deviceLost(err as Error);
    else showError(`Generation failed: ${(err as Error).message}`);
  } finally {
    busy.remove();
    li.setAttribute('aria-busy', 'false');
    ui.replyStatus.textContent = answer.content
      ? `The model replied: ${answer.content}`
      : 'The model ended its reply without text.';
    generating = undefined;
    updateControls();
  }
}

ui.modelForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void loadModel(chosenModel());
});
ui.cancelLoad.addEventListener('click', () => loading?.abort());
ui.backToModel.addEventListener('click', () => {
  const model = workingModel ?? DEFAULT_MODEL;
  choose(model);
  void loadModel(model);
});
ui.continueMode.addEventListener('change', updatePlaceholder);
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

updatePlaceholder();
if (!('gpu' in navigator) || !navigator.gpu) {
  showError(
    'WebGPU is not available in this browser, so the model cannot run here.\nUse a recent Chrome or Edge (or Safari 26+) over https or localhost, with hardware acceleration on.',
  );
  ui.load.disabled = true;
} else {
  void loadModel(DEFAULT_MODEL);
}
