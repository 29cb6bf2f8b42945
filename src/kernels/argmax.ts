import source from '../../shaders/argmax.wgsl?raw';
import { ComputeKernel, largestWorkgroupSize, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';

/** What one argmax scans and where it writes; buffers by their names in argmax.wgsl. */
export interface ArgmaxCall {
  /** The per-pass uniform {pos0, genIndex} (lib/stepUniform.wgsl). */
  step: GPUBuffer;
  logits: GPUBuffer;
  /** ids[0] receives the chosen token. */
  ids: GPUBuffer;
  /** generated[step.genIndex] receives it too. */
  generated: GPUBuffer;
  /** Logits in the row, which starts at logits[offset]. */
  n: number;
  offset: number;
}

/** Greedy sampling on the GPU (argmax.wgsl): the token id stays on the GPU for the next step. */
export class ArgmaxKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    // One workgroup scans the whole vocabulary: the more threads, the shorter each one's loop.
    this.kernel = new ComputeKernel(device, 'argmax', source, {
      constants: { WG: largestWorkgroupSize(device, 1024) },
    });
  }

  prepare(c: ArgmaxCall): Dispatch[] {
    const p = createUniformBuffer(this.device, 'argmax.params', new Uint32Array([c.n, c.offset]));
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p, step: c.step, logits: c.logits, ids: c.ids, generated: c.generated }),
        workgroups: [1, 1, 1],
      },
    ];
  }
}
