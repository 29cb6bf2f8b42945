import { ShaderError } from '../errors.ts';

const pendingChecks = new WeakMap<GPUDevice, Promise<void>[]>();

/** Waits until every kernel created so far on `device` is known valid; throws the first ShaderError. */
export async function kernelsReady(device: GPUDevice): Promise<void> {
  const pending = pendingChecks.get(device) ?? [];
  pendingChecks.delete(device);
  await Promise.all(pending);
}

/** A compute pipeline built from WGSL sources, with its (auto-derived) bind-group layout. */
export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;
  readonly label: string;
  /** Resolves once the pipeline is known valid; rejects with a ShaderError naming the kernel otherwise. */
  readonly ready: Promise<void>;

  constructor(
    readonly device: GPUDevice,
    label: string,
    sources: string[],
    constants?: Record<string, number | boolean>,
  ) {
    this.label = label;
    // WebGPU reports invalid shaders asynchronously (and by default only to the console).
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code: sources.join('\n') });
    this.pipeline = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module,
        entryPoint: 'main',
        constants: constants && Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, Number(v)])),
      },
    });
    this.ready = device.popErrorScope().then(async (error) => {
      if (!error) return;
      const info = await module.getCompilationInfo();
      const messages = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      throw new ShaderError(`kernel ${label} is invalid on this adapter: ${messages.join('; ') || error.message}`);
    });
    // Keep rejections observed until someone awaits kernelsReady().
    this.ready.catch(() => {});
    pendingChecks.set(device, [...(pendingChecks.get(device) ?? []), this.ready]);
  }

  /** A bind group with `buffers` at bindings 0, 1, 2, ... in order. */
  bind(buffers: GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }
}

/** One recorded use of a kernel: its bind group and workgroup counts. */
export interface Dispatch {
  kernel: ComputeKernel;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

export function recordDispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.kernel.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
}

/**
 * Spreads `count` workgroups over x and y so neither exceeds the per-dimension limit (65535 by
 * default); kernels rebuild the linear index as `x + y * num_workgroups.x` and skip the overshoot.
 */
export function workgroupGrid(count: number, maxPerDimension: number): [number, number, number] {
  if (count <= maxPerDimension) return [count, 1, 1];
  const y = Math.ceil(count / maxPerDimension);
  return [Math.ceil(count / y), y, 1];
}

/** The largest power-of-two one-dimensional workgroup size the device allows, at most `cap`. */
export function largestWorkgroupSize(device: GPUDevice, cap = Infinity): number {
  return (
    2 **
    Math.floor(
      Math.log2(Math.min(cap, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX)),
    )
  );
}

/** Records `dispatches`, in order, as one compute pass of `encoder`. */
export function recordPass(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[]): void {
  const pass = encoder.beginComputePass();
  for (const d of dispatches) recordDispatch(pass, d);
  pass.end();
}

/** Records `dispatches` in one compute pass and submits it (kernel checks and tools). */
export function submitDispatches(device: GPUDevice, dispatches: readonly Dispatch[]): void {
  const encoder = device.createCommandEncoder();
  recordPass(encoder, dispatches);
  device.queue.submit([encoder.finish()]);
}
