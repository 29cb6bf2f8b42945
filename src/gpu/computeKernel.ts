import { ShaderError } from '../errors.ts';
import { fillSlots, stripWgslComments } from './shaderComposer.ts';

const pendingChecks = new WeakMap<GPUDevice, Promise<void>[]>();

/** Waits until every kernel created so far on `device` is known valid; throws the first ShaderError. */
export async function kernelsReady(device: GPUDevice): Promise<void> {
  const pending = pendingChecks.get(device) ?? [];
  pendingChecks.delete(device);
  await Promise.all(pending);
}

/** What a kernel is compiled with besides its WGSL. */
export interface ComputeKernelOptions {
  /** Values of the WGSL's `override` declarations. */
  constants?: Record<string, number | boolean>;
  /** WGSL for each `// #slot NAME` line of the source (see shaderComposer.ts). */
  slots?: Readonly<Record<string, string>>;
}

/** A buffer for one binding: the whole buffer, or a range of it. */
export type BindingResource = GPUBuffer | GPUBufferBinding;

/**
 * The `@group(0) @binding(N) var<...> name` declarations of `source`, name -> N. A kernel binds
 * group 0 only (its layout is derived from the WGSL), so another group is refused.
 */
export function wgslBindings(label: string, source: string): Map<string, number> {
  const bindings = new Map<string, number>();
  const declaration = /((?:@\w+\s*\([^)]*\)\s*)+)var\s*(?:<[^>]*>)?\s*([A-Za-z_]\w*)/g;
  for (const [, attributes, name] of stripWgslComments(source).matchAll(declaration)) {
    const binding = /@binding\s*\(\s*(\d+)\s*\)/.exec(attributes);
    if (!binding) continue;
    const group = /@group\s*\(\s*(\d+)\s*\)/.exec(attributes);
    if (group?.[1] !== '0') {
      const where = group ? `is in @group(${group[1]})` : 'has no @group';
      throw new ShaderError(`kernel ${label}: binding ${name} ${where}; kernels use group 0 only`);
    }
    bindings.set(name, Number(binding[1]));
  }
  return bindings;
}

/** A compute pipeline built from a composed WGSL source, with its (auto-derived) bind-group layout. */
export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;
  readonly label: string;
  /** Resolves once the pipeline is known valid; rejects with a ShaderError naming the kernel otherwise. */
  readonly ready: Promise<void>;
  /** The WGSL's bindings, by variable name. */
  private readonly bindings: Map<string, number>;

  /** `source`: a kernel's WGSL as its `?raw` import gives it (includes expanded). */
  constructor(
    readonly device: GPUDevice,
    label: string,
    source: string,
    options: ComputeKernelOptions = {},
  ) {
    this.label = label;
    const code = fillSlots(label, source, options.slots);
    this.bindings = wgslBindings(label, code);
    const { constants } = options;
    // WebGPU reports invalid shaders asynchronously (and by default only to the console).
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code });
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

  /**
   * A bind group with each of `resources` at the binding its WGSL variable has. Every declared
   * binding must be given and every name must be declared: a ShaderError names the difference.
   */
  bind(resources: Readonly<Record<string, BindingResource>>): GPUBindGroup {
    const given = Object.keys(resources).filter((name) => resources[name] !== undefined);
    const unknown = given.filter((name) => !this.bindings.has(name));
    const missing = [...this.bindings.keys()].filter((name) => resources[name] === undefined);
    if (unknown.length > 0 || missing.length > 0) {
      const problems = [
        ...(unknown.length > 0 ? [`it declares no binding ${unknown.join(', ')}`] : []),
        ...(missing.length > 0 ? [`nothing given for ${missing.join(', ')}`] : []),
      ];
      throw new ShaderError(
        `kernel ${this.label}: ${problems.join('; ')} (its bindings: ${[...this.bindings.keys()].join(', ')})`,
      );
    }
    return this.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: given.map((name) => {
        const resource = resources[name];
        return { binding: this.bindings.get(name)!, resource: 'buffer' in resource ? resource : { buffer: resource } };
      }),
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
