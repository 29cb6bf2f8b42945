// The GPU's sustained read bandwidth as WebGPU sees it: the roofline that decode speed is held to.
import source from './streamRead.wgsl?raw';
import { ComputeKernel, kernelsReady, recordDispatch } from '../../src/gpu/computeKernel.ts';
import { createStorageBuffer } from '../../src/gpu/buffers.ts';

/** Bytes per second read by streamRead.wgsl over `totalBytes` (split into bindings), best of `reps`. */
export async function measureReadBandwidth(device: GPUDevice, totalBytes = 1 << 30, reps = 5): Promise<number> {
  const partBytes = Math.min(totalBytes, Math.floor(device.limits.maxStorageBufferBindingSize / 16) * 16);
  const parts = Array.from({ length: Math.ceil(totalBytes / partBytes) }, (_, i) =>
    createStorageBuffer(device, `stream${i}`, partBytes),
  );
  const sink = createStorageBuffer(device, 'sink', 4 * 256 * 4096);
  const kernel = new ComputeKernel(device, 'streamRead', source);
  await kernelsReady(device);
  const dispatches = parts.map((p) => ({
    kernel,
    bindGroup: kernel.bind({ data: p, sink }),
    workgroups: [4096, 1, 1] as const,
  }));
  const passes = 10;
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < passes; i++) for (const d of dispatches) recordDispatch(pass, d);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (r > 0) best = Math.min(best, (performance.now() - t0) / 1000); // the first run warms up
  }
  for (const b of [...parts, sink]) b.destroy();
  return (passes * parts.length * partBytes) / best;
}
