import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModelUrl } from '../src/engine/modelLocation.ts';
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
    message: /neither a Hugging Face repo id \(org\/name\) nor a URL/,
  });
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

test('in Node a model is a directory if one exists, else a repo id or an http(s) URL; any other path is "not found: PATH"', async () => {
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
    message: /manifest\.json is a file: give the model's directory/,
  });
  for (const missing of ['./no/such/model', '/no/such/model', 'no-such-model']) {
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
