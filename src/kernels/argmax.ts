import stepSource from '../../shaders/stepUniform.wgsl?raw';
import source from '../../shaders/argmax.wgsl?raw';
import { ComputeKernel, largestWorkgroupSize, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';

/** Greedy sampling on the GPU (argmax.wgsl): the token id stays on the GPU for the next step. */
export class ArgmaxKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    // One workgroup scans the whole vocabulary: the more threads, the shorter each one's loop.
    this.kernel = new ComputeKernel(device, 'argmax', [stepSource, source], { WG: largestWorkgroupSize(device, 1024) });
  }

  /** Scans logits[offset .. offset + n); writes ids[0] and generated[step.genIndex]. */
  prepare(
    step: GPUBuffer,
    logits: GPUBuffer,
    n: number,
    offset: number,
    ids: GPUBuffer,
    generated: GPUBuffer,
  ): Dispatch {
    const uniform = createUniformBuffer(this.device, 'argmax.params', new Uint32Array([n, offset]));
    return {
      kernel: this.kernel,
      bindGroup: this.kernel.bind([uniform, step, logits, ids, generated]),
      workgroups: [1, 1, 1],
    };
  }
}
