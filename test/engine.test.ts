// The engine as an application uses it (the Node entry), on the embedded default model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createEngine, type Engine } from '../src/node/index.ts';
import { ChatTemplate, BITNET_2B_TEMPLATE } from '../src/tokenizer/chatTemplate.ts';
import { TextAssembler } from '../src/engine/textAssembler.ts';
import { testGpuContext } from './gpuContext.ts';

const MODEL = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
/** Short, so the test of a forgotten stream is quick; every other test reads its streams at once. */
const STREAM_IDLE_MS = 1500;
let engine: Engine;

before(async () => {
  engine = await createEngine({ model: MODEL, gpu: await testGpuContext(), streamIdleTimeoutMs: STREAM_IDLE_MS });
});
after(() => engine?.dispose());

async function collect(request: Parameters<Engine['generate']>[0], from = engine) {
  let text = '';
  const tokens: number[] = [];
  let finish = null;
  for await (const c of from.generate(request)) {
    text += c.text;
    if (c.token !== null) tokens.push(c.token);
    finish = c.finishReason ?? finish;
  }
  return { text, tokens, finish };
}

test('the same seed gives the same text; another seed gives another', async () => {
  const req = { prompt: 'The old house', max_tokens: 24, temperature: 0.9, top_p: 0.95, stop_token_ids: [] };
  const a = await collect({ ...req, seed: 11 });
  const b = await collect({ ...req, seed: 11 });
  const c = await collect({ ...req, seed: 12 });
  assert.equal(a.text, b.text);
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  assert.ok(a.text.length > 20, `expected real text, got ${JSON.stringify(a.text)}`);
});

test('greedy generation follows transformers on the default model and ends with "length"', async () => {
  const expected = JSON.parse(
    readFileSync(new URL('./fixtures/bitnet-b1.58-en-11m/expected.json', import.meta.url), 'utf8'),
  ).cases[0];
  assert.deepEqual(engine.tokenizer.encode(expected.prompt), expected.input_ids);
  const r = await collect({ prompt: expected.prompt, max_tokens: 12, temperature: 0, stop_token_ids: [] });
  for (let i = 0; i < 12; i++) {
    assert.equal(r.tokens[i], expected.greedy_new_ids[i], `greedy token ${i}`);
    if (expected.greedy_top2_margin[i] < 0.3) break;
  }
  assert.equal(r.tokens.length, 12);
  assert.equal(r.finish, 'length');
  assert.equal(r.text, engine.tokenizer.decode(r.tokens));
});

test('a stop string split across tokens stops generation and is not emitted', async () => {
  const free = await collect({ prompt: 'In the city of', max_tokens: 30, temperature: 0 });
  // pick a stop string that starts inside one token and ends inside a later one
  const pieces = free.tokens.map((t) => engine.tokenizer.decode([t]));
  const offset = pieces[0].length + pieces[1].length;
  const i = 2;
  assert.ok(
    pieces[i].length >= 2 && pieces[i + 1].length >= 1,
    `token pieces too short: ${JSON.stringify(pieces.slice(0, 5))}`,
  );
  const stop = pieces[i].slice(1) + pieces[i + 1].slice(0, 1);
  const at = free.text.indexOf(stop);
  assert.ok(at >= 0 && at <= offset + 1);
  const r = await collect({ prompt: 'In the city of', max_tokens: 30, temperature: 0, stop });
  assert.equal(r.finish, 'stop');
  assert.equal(r.text, free.text.slice(0, at));
  assert.ok(!r.text.includes(stop));
});

test('the text assembler holds back partial stop strings and incomplete characters', () => {
  const pieces: Record<number, string> = { 1: 'Hello ', 2: 'wor', 3: 'ld', 4: '!', 5: '\uFFFD' };
  const decode = (ids: readonly number[]) => ids.map((i) => pieces[i]).join('');
  const a = new TextAssembler(decode, ['world!']);
  assert.deepEqual(a.push(1), { text: 'Hello ', stopped: false });
  assert.deepEqual(a.push(2), { text: '', stopped: false }); // "wor" may start "world!"
  assert.deepEqual(a.push(3), { text: '', stopped: false });
  assert.deepEqual(a.push(4), { text: '', stopped: true });
  assert.equal(a.text, 'Hello ');
  const b = new TextAssembler(decode, ['world?']);
  b.push(1);
  b.push(2);
  b.push(3);
  assert.deepEqual(b.push(4), { text: 'world!', stopped: false });
  assert.deepEqual(b.push(5), { text: '', stopped: false }); // an incomplete UTF-8 sequence waits
});

test('abort mid-stream ends promptly with finish_reason "abort", and the engine keeps working', async () => {
  const controller = new AbortController();
  const stream = await engine.chat.completions.create({
    messages: [{ role: 'user', content: 'She looked at the' }],
    stream: true,
    max_tokens: 200,
    temperature: 0.8,
    seed: 3,
    stop_token_ids: [],
    signal: controller.signal,
  });
  let chunks = 0;
  let finish = null;
  const t0 = performance.now();
  let tAbort = 0;
  for await (const c of stream) {
    chunks++;
    if (chunks === 4) {
      controller.abort();
      tAbort = performance.now();
    }
    finish = c.choices[0].finish_reason ?? finish;
  }
  assert.equal(finish, 'abort');
  assert.ok(chunks <= 6, `aborted after 4 chunks but ${chunks} came`);
  assert.ok(performance.now() - tAbort < tAbort - t0, 'abort took longer than the generation before it');
  const after = await engine.chat.completions.create({
    messages: [{ role: 'user', content: 'It was' }],
    max_tokens: 5,
    temperature: 0,
  });
  assert.equal(after.choices[0].message.content.length > 0, true);
});

test('streamed chunks concatenate to the non-streamed answer', async () => {
  const request = {
    messages: [{ role: 'user' as const, content: 'The city' }],
    max_tokens: 20,
    temperature: 0.7,
    seed: 9,
  };
  const whole = await engine.chat.completions.create(request);
  let text = '';
  let usage;
  let first = true;
  for await (const c of await engine.chat.completions.create({ ...request, stream: true })) {
    if (first) assert.equal(c.choices[0].delta.role, 'assistant');
    first = false;
    text += c.choices[0].delta.content ?? '';
    usage = c.usage ?? usage;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.deepEqual(usage, whole.usage);
  assert.equal(whole.object, 'chat.completion');
  assert.ok(['stop', 'length'].includes(whole.choices[0].finish_reason));
});

test('a continued conversation reuses the cached prefix and gives the tokens of a fresh run', async () => {
  const turn1 = [{ role: 'user' as const, content: 'The jury said that the city' }];
  const first = await engine.chat.completions.create({ messages: turn1, max_tokens: 8, temperature: 0 });
  const turn2 = [
    ...turn1,
    { role: 'assistant' as const, content: first.choices[0].message.content },
    { role: 'user' as const, content: 'and the county' },
  ];
  const continued = await engine.chat.completions.create({ messages: turn2, max_tokens: 10, temperature: 0 });
  const stats = engine.stats();
  assert.ok(stats.cachedTokens >= engine.tokenizer.encodeChat(turn1).length, `reused ${stats.cachedTokens} tokens`);
  const fresh = await createEngine({ model: MODEL, gpu: await testGpuContext() });
  try {
    const again = await fresh.chat.completions.create({ messages: turn2, max_tokens: 10, temperature: 0 });
    assert.equal(fresh.stats().cachedTokens, 0);
    assert.equal(continued.choices[0].message.content, again.choices[0].message.content);
  } finally {
    fresh.dispose();
  }
});

test('after dispose() a request fails with DisposedError before any GPU call (WebGPU reports nothing)', async () => {
  const gpu = await testGpuContext();
  const disposed = await createEngine({ model: MODEL, gpu });
  disposed.dispose();
  const reported: string[] = [];
  const onError = (e: Event) => reported.push((e as GPUUncapturedErrorEvent).error.message);
  gpu.device.addEventListener('uncapturederror', onError);
  try {
    for (const temperature of [1, 0]) {
      await assert.rejects(collect({ prompt: 'The city', max_tokens: 3, temperature }, disposed), {
        name: 'DisposedError',
        code: 'disposed',
        message: /^the model was disposed/,
      });
    }
    // uncaptured errors are delivered asynchronously: give them a chance to arrive
    await gpu.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    gpu.device.removeEventListener('uncapturederror', onError);
  }
  assert.deepEqual(reported, []);
});

test('a stream that is never read does not block the next request', { timeout: 60_000 }, async () => {
  engine.generate({ prompt: 'Nobody reads this', max_tokens: 5 });
  const r = await collect({ prompt: 'The city', max_tokens: 3, temperature: 0 });
  assert.equal(r.tokens.length > 0, true);
});

test(
  'a stream read once and then forgotten is cancelled after the idle time, and later requests run',
  { timeout: 60_000 },
  async () => {
    const stream = engine.generate({ prompt: 'The city', max_tokens: 100, temperature: 0, stop_token_ids: [] });
    const forgotten = stream[Symbol.asyncIterator]();
    assert.equal((await forgotten.next()).done, false); // it holds the engine's turn now
    const t0 = performance.now();
    const later = await collect({ prompt: 'The city', max_tokens: 3, temperature: 0 });
    assert.equal(later.tokens.length, 3);
    assert.ok(
      performance.now() - t0 >= STREAM_IDLE_MS * 0.9,
      'the later request ran while the forgotten one held the turn',
    );
    assert.deepEqual((await forgotten.next()).value, { token: null, text: '', finishReason: 'abort' });
    assert.equal((await forgotten.next()).done, true);
    // the cache stays consistent: the same request again gives the same tokens
    assert.deepEqual((await collect({ prompt: 'The city', max_tokens: 3, temperature: 0 })).tokens, later.tokens);
  },
);

test('sampling settings as the GPU sees them: tiny temperatures are greedy, a huge top_k is no limit, values float32 cannot hold are refused', async () => {
  const prompt = 'The old house';
  const greedy = await collect({ prompt, max_tokens: 4, temperature: 0, stop_token_ids: [] });
  for (const temperature of [1e-45, 1e-50])
    assert.deepEqual(
      (await collect({ prompt, max_tokens: 4, temperature, stop_token_ids: [] })).tokens,
      greedy.tokens,
      `temperature ${temperature}`,
    );
  const sampled = { prompt, max_tokens: 4, temperature: 1, seed: 4, stop_token_ids: [] };
  assert.deepEqual(
    (await collect({ ...sampled, top_k: 2 ** 32 + 1 })).tokens,
    (await collect({ ...sampled, top_k: 0 })).tokens,
  );
  await assert.rejects(collect({ ...sampled, top_p: 1e-50 }), {
    name: 'InvalidArgumentError',
    message: /^top_p must be in \(0, 1\] \(and not 0 as a float32\), got 1e-50$/,
  });
  await assert.rejects(collect({ ...sampled, repetition_penalty: 1e-50 }), {
    name: 'InvalidArgumentError',
    message: /^repetition_penalty must be in \[0\.01, 100\] \(1: off\), got 1e-50$/,
  });
});

test('a 10 MB message or prompt is refused as too long for the context before it is tokenized', async () => {
  const huge = 'word '.repeat(2 * 2 ** 20);
  for (const run of [
    () => engine.chat.completions.create({ messages: [{ role: 'user', content: huge }] }),
    async () => engine.generate({ prompt: huge }),
  ]) {
    const t0 = performance.now();
    await assert.rejects(run, {
      name: 'ContextOverflowError',
      message: /have 10485760 characters|has 10485760 characters: more than the 512-token context can take/,
    });
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  }
});

test('requests beyond the context and bad settings get clear errors', async () => {
  await assert.rejects(collect({ prompt: 'x', max_tokens: 10_000 }), {
    name: 'ContextOverflowError',
    message: /exceed the context of 512 tokens/,
  });
  await assert.rejects(collect({ prompt: 'x', max_tokens: 5, top_p: 0 }), {
    name: 'InvalidArgumentError',
    message: /^top_p must be in \(0, 1\] \(and not 0 as a float32\), got 0$/,
  });
  await assert.rejects(engine.chat.completions.create({ messages: [] }), {
    name: 'InvalidArgumentError',
    message: /messages must be a non-empty array/,
  });
  assert.throws(() => engine.generate({}), { name: 'InvalidArgumentError' });
  // checked when the request is made, before its stream is read or waits for the engine
  assert.throws(() => engine.generate({ prompt: 'x', max_tokens: 10_000 }), { name: 'ContextOverflowError' });
  assert.throws(() => engine.generate({ prompt: 'x', seed: -1 }), { message: /^seed must be an integer/ });
});

test('chat templates render exactly what the template defines', () => {
  const special = { bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>' };
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: ' Hi ' },
    { role: 'assistant' as const, content: 'Hello!' },
    { role: 'user' as const, content: 'Bye' },
  ];
  assert.equal(
    new ChatTemplate(BITNET_2B_TEMPLATE, special).render(messages),
    '<|begin_of_text|>System: Be brief.<|eot_id|>User: Hi<|eot_id|>Assistant: Hello!<|eot_id|>User: Bye<|eot_id|>Assistant: ',
  );
  // Llama 3's template (as in its tokenizer_config.json), a model-provided one
  const llama3 =
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
  assert.equal(
    new ChatTemplate(llama3, special).render(messages.slice(1, 2)),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
  assert.equal(engine.tokenizer.chatFormat, 'plain', 'the default model has no chat template');
});

test('a reply whose first token is a stop token is empty, not an error', async () => {
  const first = await collect({ prompt: 'The old house', max_tokens: 1, temperature: 0 });
  const stopped = await collect({
    prompt: 'The old house',
    max_tokens: 8,
    temperature: 0,
    stop_token_ids: [first.tokens[0]],
  });
  assert.deepEqual(stopped, { text: '', tokens: [], finish: 'stop' });
  assert.equal(engine.tokenizer.decode([]), '');
});
