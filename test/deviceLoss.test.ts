// DeviceLossWatch on a stand-in device whose loss the test decides: a read-back fails with
// DeviceLostError whether the map is rejected before or after `lost` settles, or left pending;
// a read that fails for another reason keeps its own error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceLossWatch } from '../src/model/deviceLoss.ts';

function standInDevice() {
  let lose!: (info: GPUDeviceLostInfo) => void;
  const lost = new Promise<GPUDeviceLostInfo>((resolve) => (lose = resolve));
  const info = { reason: 'destroyed', message: 'device.destroy() was called' } as GPUDeviceLostInfo;
  return { device: { lost } as GPUDevice, lose: () => lose(info) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const abort = () => new DOMException('mapping aborted', 'AbortError');

test('a read rejected before the loss settles fails with DeviceLostError as soon as it settles', async () => {
  const { device, lose } = standInDevice();
  const watch = new DeviceLossWatch(device);
  const map = deferred<void>();
  const read = watch.whileAlive(map.promise);
  map.reject(abort());
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  lose();
  await assert.rejects(read, { name: 'DeviceLostError', reason: 'destroyed' });
  assert.ok(performance.now() - t0 < 50, 'the read does not wait out the grace period once the loss is known');
  assert.throws(() => watch.check(), { name: 'DeviceLostError' });
});

test('a read rejected after the loss, or left pending, fails with DeviceLostError', async () => {
  const { device, lose } = standInDevice();
  const watch = new DeviceLossWatch(device);
  const pending = watch.whileAlive(new Promise<void>(() => {}));
  const rejected = deferred<void>();
  const read = watch.whileAlive(rejected.promise);
  lose();
  await assert.rejects(pending, { name: 'DeviceLostError' });
  rejected.reject(abort());
  await assert.rejects(read, { name: 'DeviceLostError' });
  await assert.rejects(
    watch.whileAlive(Promise.resolve(1)),
    { name: 'DeviceLostError' },
    'a read after the loss fails at once',
  );
});

test('a read that fails while the device lives keeps its own error; one that succeeds returns its value', async () => {
  const { device } = standInDevice();
  const watch = new DeviceLossWatch(device);
  assert.equal(await watch.whileAlive(Promise.resolve(7)), 7);
  await assert.rejects(watch.whileAlive(Promise.reject(abort())), { name: 'AbortError' });
});

test("a caller's check that refuses the read rejects it and leaves the map's own failure handled", async () => {
  const { device } = standInDevice();
  const watch = new DeviceLossWatch(device);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    const refused = watch.whileAlive(Promise.reject(abort()), () => {
      throw new Error('the model was disposed');
    });
    await assert.rejects(refused, /disposed/);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
