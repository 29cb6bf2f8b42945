// createNodeGpuContext({ disableSafetyChecks: true }) (Dawn without validation, bounds checks or
// resource zeroing) computes what the checked path computes: the tiny-a fixture still matches
// transformers with the adapter's default kernels, on a second Dawn instance of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import { directoryFiles } from '../src/node/fileSource.ts';
import { defaultGemvLayout, defaultTernaryVariant } from '../src/kernels/ternaryMatmul.ts';
import { checkFixture } from './modelChecks.ts';
import { testGpuContext } from './gpuContext.ts';

const dir = new URL('fixtures/tiny-a/packed/', import.meta.url).pathname;

/** The validation error Dawn reports for a buffer usage WebGPU forbids (MAP_READ with STORAGE), if any. */
async function invalidUsageError(device: GPUDevice): Promise<GPUError | null> {
  device.pushErrorScope('validation');
  device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }).destroy();
  return device.popErrorScope();
}

test('disableSafetyChecks reaches Dawn: its validation is off on that device only', async () => {
  const checked = await testGpuContext();
  const unchecked = await createNodeGpuContext({ disableSafetyChecks: true });
  assert.match((await invalidUsageError(checked.device))?.message ?? '', /usage/i);
  assert.equal(await invalidUsageError(unchecked.device), null);
});

test('with Dawn safety checks off, tiny-a still matches transformers', async () => {
  const checked = await testGpuContext();
  const unchecked = await createNodeGpuContext({ disableSafetyChecks: true });
  assert.notEqual(unchecked.device, checked.device);
  assert.equal(unchecked.caps.adapterName, checked.caps.adapterName);
  const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8'));
  await checkFixture(
    unchecked,
    { name: 'tiny-a/packed (safety checks off)', files: directoryFiles(dir), expected, embeddingFormat: 'bf16' },
    (l) => console.log(`# ${l}`),
    [{ variant: defaultTernaryVariant(unchecked.caps), gemvLayout: defaultGemvLayout(unchecked.caps) }],
  );
});
