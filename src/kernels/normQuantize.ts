import source from '../../shaders/normQuantize.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { activationWordsFor } from './ternaryLayout.ts';

export interface NormQuantizeBindings {
  /** f32 rows; for the gated form each row is [gate | up], 2 * cols wide. */
  x: GPUBuffer;
  weight: GPUBuffer;
  xq: GPUBuffer;
  xScale: GPUBuffer;
  rows: number;
  cols: number;
  eps: number;
}

/** RMSNorm + int8 quantization in one pass (normQuantize.wgsl); `gated` first applies relu(gate)^2 * up. */
export class NormQuantizeKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice, readonly gated: boolean) {
    this.kernel = new ComputeKernel(device, gated ? 'relu2NormQuantize' : 'normQuantize', [source], { GATED: gated });
  }

  prepare(b: NormQuantizeBindings): Dispatch {
    const params = new Uint32Array(4);
    params.set([b.cols, this.gated ? 2 * b.cols : b.cols, activationWordsFor(b.cols)]);
    new Float32Array(params.buffer)[3] = b.eps;
    const uniform = createUniformBuffer(this.device, `${this.kernel.label}.params`, params);
    return { kernel: this.kernel, bindGroup: this.kernel.bind([uniform, b.x, b.weight, b.xq, b.xScale]), workgroups: [b.rows, 1, 1] };
  }
}
