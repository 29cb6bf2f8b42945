import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModelUrl } from '../src/engine/modelLocation.ts';

test('model strings resolve to the directory their files are in', () => {
  const page = 'https://app.example/chat/index.html';
  assert.equal(resolveModelUrl('microsoft/bitnet-b1.58-2B-4T', page), 'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/');
  assert.equal(resolveModelUrl('https://huggingface.co/microsoft/bitnet-b1.58-2B-4T', page), 'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/');
  assert.equal(resolveModelUrl('https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/tree/main', page), 'https://huggingface.co/microsoft/bitnet-b1.58-2B-4T/resolve/main/');
  assert.equal(resolveModelUrl('/models/tiny', page), 'https://app.example/models/tiny/');
  assert.equal(resolveModelUrl('./models/tiny/', page), 'https://app.example/chat/models/tiny/');
  assert.equal(resolveModelUrl('https://cdn.example/m/', page), 'https://cdn.example/m/');
  assert.throws(() => resolveModelUrl('not a model', undefined), { name: 'InvalidArgumentError', message: /neither a Hugging Face repo id \(org\/name\) nor a URL/ });
});
