import { test } from 'node:test';
import { samplingChecks } from './samplingChecks.ts';
import { testGpuContext } from './gpuContext.ts';

for (const c of samplingChecks) {
  test(c.name, async () => c.run(await testGpuContext()));
}
