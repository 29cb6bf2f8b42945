// The demo's continue mode: the conversation read as one text, typed turns starting new words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continuedText } from '../demo/continuation.ts';

const user = (content: string) => ({ role: 'user' as const, content });
const model = (content: string) => ({ role: 'assistant' as const, content });

test('continue mode puts a space between a reply and the next typed turn only where the two would touch', () => {
  assert.equal(
    continuedText([user('He ate the'), model(' bobble.'), user('Then he said')]),
    'He ate the bobble. Then he said',
  );
  assert.equal(
    continuedText([user('He ate the'), model(' bobble. '), user('Then he said')]),
    'He ate the bobble. Then he said',
  );
  assert.equal(continuedText([user('He ate the'), model(' bobble'), user(' and then')]), 'He ate the bobble and then');
  assert.equal(continuedText([user('He ate the'), model(' bobble'), user(', slowly')]), 'He ate the bobble, slowly');
  assert.equal(continuedText([user('He ate the'), model(' bobble.\n'), user('Then')]), 'He ate the bobble.\nThen');
  // the model's own text continues exactly where the text stood
  assert.equal(continuedText([user('The cat'), model('s sat')]), 'The cats sat');
  assert.equal(continuedText([user('Once'), model('')]), 'Once');
});
