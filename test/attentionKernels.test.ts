import { test } from 'node:test';
import { attentionChecks } from './attentionChecks.ts';
import { testGpuContext } from './gpuContext.ts';
import { attentionDecodeSlices } from '../src/kernels/attention.ts';
import { check } from './check.ts';

for (const c of attentionChecks) {
  test(c.name, async () => c.run(await testGpuContext()));
}

// Both CI drivers (SwiftShader: subgroups of 4, lavapipe: 8) can run attentionDecode; if
// detection broke, the check above would silently test attentionPartial alone.
test('attentionDecode is available on this driver', async () => {
  const { caps } = await testGpuContext();
  const slices = attentionDecodeSlices(caps, 128);
  check(
    slices === Math.min(8, caps.subgroupMinSize),
    `${caps.adapterName}: ${slices} slices (smallest subgroup ${caps.subgroupMinSize})`,
  );
});
