// Chat templates come with a model from anywhere: rendering one must stay bounded and keep to text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatTemplate, BITNET_2B_TEMPLATE } from '../src/tokenizer/chatTemplate.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];
const render = (source: string) => new ChatTemplate(source, { bos_token: '<s>' }).render(messages);

// Without the limits the first three would run for minutes or hours; the timeout turns a regression into a failure.
test(
  'templates that would loop (nearly) forever or build huge strings are stopped with ModelFormatError',
  { timeout: 60_000 },
  () => {
    const stopped = { name: 'ModelFormatError', message: /^tokenizer_config\.json: chat_template was stopped: / };
    assert.throws(() => render('{% for i in range(10**9) %}x{% endfor %}'), {
      ...stopped,
      message: /range\(\) of 1000000000 elements/,
    });
    assert.throws(() => render('{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}'), {
      ...stopped,
      message: /evaluation steps/,
    });
    assert.throws(() => render("{{ range(99999) | join('0123456789012345678901234567890123456789') }}"), {
      ...stopped,
      message: /characters or elements/,
    });
    assert.throws(() => render('{% set r = range(90000) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}'), {
      ...stopped,
      message: /evaluation steps/,
    });
  },
);

test('a template refusing the messages is an InvalidArgumentError; broken ones name the file', () => {
  assert.throws(() => render("{{ raise_exception('Conversation roles must alternate user/assistant') }}"), {
    name: 'InvalidArgumentError',
    message: /chat template refused these messages: Conversation roles must alternate/,
  });
  assert.throws(() => render('{% for %}'), {
    name: 'ModelFormatError',
    message: /^tokenizer_config\.json: chat_template does not parse/,
  });
  assert.throws(() => render('{{ undefined_function() }}'), {
    name: 'ModelFormatError',
    message: /chat_template failed/,
  });
  assert.throws(() => new ChatTemplate('x'.repeat(5 * 2 ** 20), {}), {
    name: 'ModelFormatError',
    message: /chat_template has 5242880 characters/,
  });
});

test('templates see data, not the JavaScript objects behind it', () => {
  assert.equal(render('{{ messages.constructor }}{{ messages[0].constructor }}{{ range.prototype }}'), '');
  assert.equal(render("{{ messages[0]['__proto__'] }}{{ messages[0].content.constructor }}"), '');
  assert.match(render("{{ strftime_now('%d %b %Y') }}"), /^\d\d [A-Z][a-z]{2} \d{4}$/);
});

test('long conversations stay well inside the limits', () => {
  const many = Array.from({ length: 400 }, (_, i) => ({
    role: i % 2 ? ('assistant' as const) : ('user' as const),
    content: `message ${i} `.repeat(200),
  }));
  const text = new ChatTemplate(BITNET_2B_TEMPLATE, { bos_token: '<s>' }).render(many);
  assert.equal(text.split('<|eot_id|>').length, 401);
  assert.ok(text.startsWith('<s>User: message 0') && text.endsWith('Assistant: '));
});

test('filters and methods that multiply a string are stopped before they build it', { timeout: 10_000 }, () => {
  const long = "{% set s = range(100000) | join('') %}"; // 488,890 characters
  const amplifiers = [
    "{{ 'a\\nb' | indent(260000000) }}",
    '{% filter indent(100000000) %}a\nb{% endfilter %}',
    `${long}{{ s.replace('1', s, count=250) }}`,
    `${long}{{ s | replace('1', s) }}`,
    `${long}{{ [s, s, s, s, s, s, s, s, s] | join }}`,
    `${long}{{ s | join(s) }}`,
    '{{ messages | tojson(indent=1000000) }}',
  ];
  for (const source of amplifiers) {
    const t0 = performance.now();
    assert.throws(
      () => render(source),
      {
        name: 'ModelFormatError',
        message: /^tokenizer_config\.json: chat_template was stopped: it builds a value of \d+ characters/,
      },
      source,
    );
    assert.ok(performance.now() - t0 < 1000, `${source}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  // the same filters within the limit work as before
  assert.equal(
    render("{{ 'a\\nb' | indent(2) }}|{{ 'aXa'.replace('a', 'bb', count=1) }}|{{ ['x', 'y'] | join('-') }}"),
    'a\n  b|bbXa|x-y',
  );
});
