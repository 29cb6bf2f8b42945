// One GPU context per test process, on the driver tools/testNode.sh chose.
import { createNodeGpuContext } from '../src/node/nodeGpu.ts';
import type { GpuContext } from '../src/gpu/context.ts';

let shared: Promise<GpuContext> | undefined;

export function testGpuContext(): Promise<GpuContext> {
  shared ??= createNodeGpuContext().then((ctx) => {
    const expected = process.env.BITNET_EXPECT_ADAPTER;
    if (expected && !new RegExp(expected, 'i').test(ctx.caps.adapterName)) {
      throw new Error(`tests expected an adapter matching /${expected}/ but got "${ctx.caps.adapterName}"`);
    }
    return ctx;
  });
  return shared;
}
