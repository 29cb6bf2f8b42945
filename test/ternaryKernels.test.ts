import { test } from 'node:test';
import { kernelChecks } from './kernelChecks.ts';
import { testGpuContext } from './gpuContext.ts';

for (const c of kernelChecks) {
  test(c.name, async () => c.run(await testGpuContext()));
}
