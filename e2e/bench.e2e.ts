// `npm run bench` end to end on the tiny model: a smoke test that the Playwright benchmark runs and
// reports every field, not a speed test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test(
  'npm run bench measures the tiny model, its f32 twin and its decode-step anatomy in headless Chromium',
  { timeout: 600_000 },
  () => {
    const out = execFileSync(
      'npm',
      [
        'run',
        '--silent',
        'bench',
        '--',
        '--models',
        'tiny',
        '--runs',
        '1',
        '--prompt',
        '32',
        '--generate',
        '8',
        '--json',
        '--anatomy',
      ],
      { encoding: 'utf8' },
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const rows = lines.filter((l) => 'model' in l);
    assert.deepEqual(
      rows.map((r) => [r.model, r.weights]),
      [
        ['tiny-a', 'ternary'],
        ['tiny-a', 'f32'],
      ],
    );
    for (const r of rows) {
      assert.match(r.adapter, /swiftshader/);
      for (const key of [
        'prefillTokPerS',
        'decodeTokPerS',
        'timeToFirstTokenMs',
        'weightsMiB',
        'kvCacheMiB',
        'decodeStepMiB',
        'rooflinePct',
      ]) {
        assert.ok(r[key] > 0, `${key} = ${r[key]}`);
      }
      // tiny-a has 2 layers of 10 decode dispatches (norm, q|k|v, attention with RoPE, combine, norm,
      // o_proj, norm, gate|up, relu2 norm, down), then embedding, final norm, lm_head and argmax
      assert.equal(r.dispatchesPerDecodeStep, 2 * 10 + 4);
      assert.equal(r.promptTokens, 32);
    }
    assert.ok(rows[1].weightsMiB > 5 * rows[0].weightsMiB, 'the f32 twin holds far more weight bytes');
    assert.ok(lines.at(-1).readBandwidthGBps > 0);
    const { anatomy } = lines.find((l) => 'anatomy' in l);
    assert.match(anatomy.adapter, /swiftshader/);
    assert.equal(anatomy.dispatches, 2 * 10 + 4);
    // in a page, recording and submitting only hand commands to the GPU process: they may round to 0 ms
    for (const cost of [anatomy.pass, anatomy.floor]) {
      for (const key of ['record', 'submit']) assert.ok(cost[key] >= 0, `${key} = ${cost[key]}`);
      assert.ok(cost.gpu > 0, `gpu = ${cost.gpu}`);
    }
    assert.ok(anatomy.decodeLoop > 0);
  },
);
