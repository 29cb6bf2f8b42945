import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelFilesFor, resolveModelUrl } from '../src/engine/modelLocation.ts';
import { httpFiles } from '../src/loader/byteSource.ts';

test('model strings resolve to the directory their files are in', () => {
  const page = 'https://app.example/chat/index.html';
  assert.equal(
    resolveModelUrl('microsoft/bitnet-b1.58-2B-4T', page),
    'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/',
  );
  assert.equal(
    resolveModelUrl('https://huggingface.co/microsoft/bitnet-b1.58-2B-4T', page),
    'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/',
  );
  assert.equal(
    resolveModelUrl('https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/tree/main', page),
    'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/',
  );
  assert.equal(resolveModelUrl('/models/tiny', page), 'https://app.example/models/tiny/');
  assert.equal(resolveModelUrl('./models/tiny/', page), 'https://app.example/chat/models/tiny/');
  assert.equal(resolveModelUrl('https://cdn.example/m/', page), 'https://cdn.example/m/');
  assert.throws(() => resolveModelUrl('not a model', undefined), {
    name: 'InvalidArgumentError',
    message: /neither a Hugging Face repo id \(org\/name\), a GGUF file in one \(org\/name\/file\.gguf\), nor a URL/,
  });
});

test('GGUF files resolve to the file: repo id + file name, file pages, direct and relative URLs', () => {
  const page = 'https://app.example/chat/index.html';
  const file = 'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T-gguf/resolve/main/ggml-model-i2_s.gguf';
  for (const spelling of [
    'microsoft/bitnet-b1.58-2B-4T-gguf/ggml-model-i2_s.gguf',
    'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T-gguf/blob/main/ggml-model-i2_s.gguf',
    file,
    `${file}?download=true`,
  ])
    assert.equal(resolveModelUrl(spelling, page), file, spelling);
  assert.equal(
    resolveModelUrl('org/repo/sub/dir/model-TQ2_0.GGUF', page),
    'https://huggingface.co/org/repo/resolve/main/sub/dir/model-TQ2_0.GGUF',
  );
  assert.equal(
    resolveModelUrl('https://huggingface.co/org/repo/blob/v1.0/m.gguf', page),
    'https://huggingface.co/org/repo/resolve/v1.0/m.gguf',
  );
  assert.equal(resolveModelUrl('./models/tiny.gguf', page), 'https://app.example/chat/models/tiny.gguf');
  assert.equal(resolveModelUrl('https://cdn.example/m.gguf?x=1', page), 'https://cdn.example/m.gguf?x=1');
  // a `..` segment is no file name: the string is a URL relative to the page
  assert.equal(resolveModelUrl('org/repo/../m.gguf', page), 'https://app.example/chat/org/m.gguf');

  const files = modelFilesFor('org/repo/sub/model.gguf');
  assert.equal(files.location, 'https://huggingface.co/org/repo/resolve/main/sub/model.gguf');
  assert.equal(files.singleFile, 'model.gguf');
  assert.equal(modelFilesFor('https://cdn.example/m/').singleFile, undefined);
});

test('a server that cannot be reached gives a FetchError naming the URL, not a bare TypeError', async () => {
  const { createServer } = await import('node:net');
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise((r) => closed.close(r));
  const url = `http://127.0.0.1:${port}/model/`;
  await assert.rejects(httpFiles(url).readText('config.json'), {
    name: 'FetchError',
    message: new RegExp(`^${url}config\\.json: the server could not be reached \\(.+\\): check the address`),
  });
});

test('in Node a model is a directory or .gguf file if one exists, else a repo id (+ file) or an http(s) URL; any other path is "not found: PATH"', async () => {
  const { locateModel } = await import('../src/node/modelLocation.ts');
  const { createEngine, ModelNotFoundError } = await import('../src/node/index.ts');
  const model = new URL('../public/models/bitnet-b1.58-en-11m', import.meta.url).pathname;
  assert.deepEqual(await locateModel(model), { kind: 'directory', path: model });
  assert.deepEqual(await locateModel('microsoft/bitnet-b1.58-2B-4T'), {
    kind: 'url',
    url: 'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/',
  });
  assert.deepEqual(await locateModel('https://cdn.example/m'), { kind: 'url', url: 'https://cdn.example/m/' });
  await assert.rejects(locateModel(`${model}/manifest.json`), {
    name: 'InvalidArgumentError',
    message: /manifest\.json is a file: give the model's directory \(.*\) or a \.gguf file/,
  });
  const gguf = new URL('fixtures/gguf/tiny-a-i2_s.gguf', import.meta.url).pathname;
  assert.deepEqual(await locateModel(gguf), { kind: 'file', path: gguf });
  assert.deepEqual(await locateModel('org/repo/model.gguf'), {
    kind: 'url',
    url: 'https://huggingface.co/org/repo/resolve/main/model.gguf',
  });
  assert.deepEqual(await locateModel('http://cdn.example/m.gguf'), { kind: 'url', url: 'http://cdn.example/m.gguf' });
  for (const missing of ['./no/such/model', '/no/such/model', 'no-such-model', './no/such/model.gguf']) {
    await assert.rejects(
      locateModel(missing),
      (e: unknown) =>
        e instanceof ModelNotFoundError &&
        e.code === 'model-not-found' &&
        e.path === missing &&
        e.message.startsWith(`not found: ${missing} `),
    );
  }
  // refused before any GPU work (no `gpu` is given and none is needed)
  await assert.rejects(createEngine({ model: './no/such/model' }), {
    name: 'ModelNotFoundError',
    message: /^not found: \.\/no\/such\/model /,
  });
});
