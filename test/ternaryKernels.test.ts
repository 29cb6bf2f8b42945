import { test } from 'node:test';
import { kernelChecks } from './kernelChecks.ts';
import { testGpuContext } from './gpuContext.ts';
import { gemvSubgroupLanes } from '../src/kernels/ternaryMatmul.ts';
import { check } from './check.ts';

for (const c of kernelChecks) {
  test(c.name, async () => c.run(await testGpuContext()));
}

// Both CI drivers (SwiftShader: subgroups of 4, lavapipe: 8) have what the subgroup GEMV needs;
// if detection broke, the checks above would silently skip that form.
test('the subgroup GEMV is available on this driver, with lanes of its smallest subgroup size', async () => {
  const { caps } = await testGpuContext();
  const lanes = gemvSubgroupLanes(caps);
  check(
    lanes !== undefined && lanes === Math.min(32, caps.subgroupMinSize),
    `subgroup GEMV lanes ${lanes} on ${caps.adapterName} (subgroups ${caps.subgroups}, subgroup_id ${caps.subgroupId}, smallest size ${caps.subgroupMinSize})`,
  );
});
