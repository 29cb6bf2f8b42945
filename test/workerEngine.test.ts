// The worker engine in Node: createWorkerEngine (the page's side) and workerHost.ts (the worker's)
// joined by a MessageChannel, as structured-clone messages; the host loads the default model over
// HTTP onto a Dawn device. Its answers, errors and device loss must be the main-thread Engine's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, ModelFormatError, type Engine } from '../src/node/index.ts';
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { openEngine } from '../src/engine/createEngine.ts';
import type { EngineInterface } from '../src/engine/engineInterface.ts';
import { createWorkerEngine, type WorkerEngine } from '../src/engine/workerEngine.ts';
import { serveEngine } from '../src/engine/workerHost.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { ModelFilesServer, type ServedFiles } from '../e2e/modelFilesServer.ts';
import { checkDeviceLossMidGeneration, type GpuFailureEnv } from './gpuFailureChecks.ts';
import { testGpuContext } from './gpuContext.ts';

const MODEL = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
const files = new ModelFilesServer();
let server: ServedFiles;
let modelUrl: string;
let engine: Engine;
let workerEngine: WorkerEngine;
/** Every in-thread worker made, closed at the end (an open port keeps the process alive). */
const workers: Worker[] = [];

/**
 * A worker in this thread: the page holds one end of a MessageChannel (standing in for a Worker),
 * the host serves the other, loading its engine onto `gpu`.
 */
function inThreadWorker(gpu: GpuContext): Worker {
  const { port1: page, port2: host } = new MessageChannel();
  serveEngine(host, (options) => openEngine({ ...options, gpu }));
  const worker = Object.assign(page, { onerror: null, terminate: () => page.close() }) as unknown as Worker;
  workers.push(worker);
  return worker;
}

before(async () => {
  server = await files.listen();
  modelUrl = `${server.url}/served/en-11m/`;
  const gpu = await testGpuContext();
  engine = await createEngine({ model: MODEL, gpu });
  workerEngine = await createWorkerEngine({ model: modelUrl, worker: inThreadWorker(gpu) });
});
after(() => {
  workerEngine?.dispose();
  engine?.dispose();
  for (const worker of workers) worker.terminate();
  server?.close();
});

async function generated(from: EngineInterface, prompt: string) {
  let text = '';
  const tokens: number[] = [];
  let finish = null;
  for await (const c of from.generate({ prompt, max_tokens: 10, temperature: 0, stop_token_ids: [] })) {
    text += c.text;
    if (c.token !== null) tokens.push(c.token);
    finish = c.finishReason ?? finish;
  }
  return { text, tokens, finish };
}

test('the worker engine answers as the main-thread engine: chunks of each kind, stats, tokenizer', async () => {
  assert.equal(workerEngine.adapter, engine.adapter);
  assert.equal(workerEngine.modelName, modelUrl);
  assert.equal(workerEngine.chatFormat, engine.chatFormat);
  assert.deepEqual(workerEngine.tokenizer.encode('The jury said'), engine.tokenizer.encode('The jury said'));
  const fromWorker = await generated(workerEngine, 'The old house');
  assert.deepEqual(fromWorker, await generated(engine, 'The old house'));
  assert.equal(fromWorker.tokens.length, 10);
  assert.equal(workerEngine.stats().completionTokens, 10);

  const request = { messages: [{ role: 'user' as const, content: 'The city' }], max_tokens: 8, temperature: 0 };
  const whole = await workerEngine.chat.completions.create(request);
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.model, modelUrl);
  assert.equal(
    whole.choices[0].message.content,
    (await engine.chat.completions.create(request)).choices[0].message.content,
  );
  let streamed = '';
  for await (const chunk of await workerEngine.createChatCompletion({ ...request, stream: true }))
    streamed += chunk.choices[0].delta.content ?? '';
  assert.equal(streamed, whole.choices[0].message.content);
});

test('the worker engine refuses what the engine refuses, at the same moment, with the same error', async () => {
  const tooManyTokens = { tokens: [1], max_tokens: 100_000 };
  for (const bad of [{}, { prompt: 'x', top_p: 0 }, { prompt: 'x', tokens: [1] }, tooManyTokens]) {
    const expected = (() => {
      try {
        engine.generate(bad);
      } catch (err) {
        return err as Error;
      }
      assert.fail(`the engine accepted ${JSON.stringify(bad)}`);
    })();
    assert.throws(() => workerEngine.generate(bad), { name: expected.name, message: expected.message });
  }
  const tooLong = { messages: [{ role: 'user' as const, content: 'x' }], max_tokens: 100_000 };
  const overflow = await engine.chat.completions.create(tooLong).catch((err: Error) => err);
  await assert.rejects(workerEngine.chat.completions.create(tooLong), {
    name: 'ContextOverflowError',
    code: 'context-overflow',
    message: (overflow as Error).message,
  });
  // the worker keeps working after refused requests
  assert.deepEqual(await generated(workerEngine, 'It was'), await generated(engine, 'It was'));
});

test('aborting a worker request ends it with finish reason "abort"', async () => {
  const controller = new AbortController();
  let chunks = 0;
  let finish = null;
  for await (const c of workerEngine.generate({
    prompt: 'She looked at the',
    max_tokens: 200,
    temperature: 0,
    signal: controller.signal,
  })) {
    if (++chunks === 3) controller.abort();
    finish = c.finishReason ?? finish;
  }
  assert.equal(finish, 'abort');
  assert.ok(chunks < 20, `aborted after 3 chunks but ${chunks} came`);
});

test('a load that fails in the worker rejects with its error class; a cancelled load stops the worker', async () => {
  const gpu = await testGpuContext();
  await assert.rejects(
    createWorkerEngine({ model: modelUrl.replace('en-11m', 'missing'), worker: inThreadWorker(gpu) }),
    (err: Error) => err instanceof ModelFormatError && /served\/missing\/: has no config\.json/.test(err.message),
  );
  const controller = new AbortController();
  const worker = inThreadWorker(gpu);
  let terminated = false;
  const terminate = worker.terminate.bind(worker);
  worker.terminate = () => {
    terminated = true;
    terminate();
  };
  const loading = createWorkerEngine({ model: modelUrl, worker, signal: controller.signal });
  controller.abort();
  await assert.rejects(loading, { name: 'BitNetError', code: 'aborted', message: 'loading was cancelled' });
  assert.ok(terminated, 'the worker was not stopped');
});

test('a device lost under the worker: the stream ends with DeviceLostError, onDeviceLost hears of it, as for Engine', () => {
  const env: GpuFailureEnv = {
    newGpu: () => createNodeGpuContext(),
    loadEngine: (gpu) => createWorkerEngine({ model: modelUrl, worker: inThreadWorker(gpu) }),
  };
  return checkDeviceLossMidGeneration(env);
});
