import source from '../../shaders/rmsNorm.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';

/** One norm of `rows` rows; buffers by their names in rmsNorm.wgsl. */
export interface RmsNormCall {
  x: GPUBuffer;
  weight: GPUBuffer;
  y: GPUBuffer;
  cols: number;
  /** Normalize rows firstRow .. firstRow + rows of x into rows 0 .. rows of y. */
  firstRow: number;
  rows: number;
  eps: number;
}

/** Float RMSNorm (rmsNorm.wgsl): the final norm before the lm_head. */
export class RmsNormKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    this.kernel = new ComputeKernel(device, 'rmsNorm', source);
  }

  prepare(c: RmsNormCall): Dispatch[] {
    const params = new Uint32Array([c.cols, c.firstRow, 0, 0]);
    new Float32Array(params.buffer)[2] = c.eps;
    const uniform = createUniformBuffer(this.device, 'rmsNorm.params', params);
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, x: c.x, weight: c.weight, y: c.y }),
        workgroups: [c.rows, 1, 1],
      },
    ];
  }
}
