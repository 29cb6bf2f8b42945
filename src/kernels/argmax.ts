import stepSource from '../../shaders/stepUniform.wgsl?raw';
import source from '../../shaders/argmax.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';

/** Greedy sampling on the GPU (argmax.wgsl): the token id stays on the GPU for the next step. */
export class ArgmaxKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    // One workgroup scans the whole vocabulary: the more threads, the shorter each one's loop.
    const threads = 2 ** Math.floor(Math.log2(Math.min(1024, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX)));
    this.kernel = new ComputeKernel(device, 'argmax', [stepSource, source], { WG: threads });
  }

  /** Scans logits[offset .. offset + n); writes ids[0] and generated[step.genIndex]. */
  prepare(step: GPUBuffer, logits: GPUBuffer, n: number, offset: number, ids: GPUBuffer, generated: GPUBuffer): Dispatch {
    const uniform = createUniformBuffer(this.device, 'argmax.params', new Uint32Array([n, offset]));
    return { kernel: this.kernel, bindGroup: this.kernel.bind([uniform, step, logits, ids, generated]), workgroups: [1, 1, 1] };
  }
}
