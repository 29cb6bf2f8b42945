/** A compute pipeline built from WGSL sources, with its (auto-derived) bind-group layout. */
export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;
  readonly label: string;

  constructor(
    readonly device: GPUDevice,
    label: string,
    sources: string[],
    constants?: Record<string, number | boolean>,
  ) {
    this.label = label;
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
