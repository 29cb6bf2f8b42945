import source from '../../shaders/denseGemv.wgsl?raw';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Bf16Weights } from './bf16Weights.ts';

const ROWS_PER_WORKGROUP = 8;

/** y[m, :] = W h[m] for a bf16 W (the lm_head), one dispatch per weight part (denseGemv.wgsl). */
export class DenseGemvKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    this.kernel = new ComputeKernel(device, 'denseGemv', [source]);
  }

  prepare(w: Bf16Weights, h: GPUBuffer, y: GPUBuffer, tokens: number): Dispatch[] {
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (tokens > maxDim) throw new InvalidArgumentError(`${w.label}: ${tokens} tokens exceed one dispatch (${maxDim})`);
    return w.parts.map((part) => {
      const uniform = createUniformBuffer(this.device, `${w.label}.gemv`, new Uint32Array([part.rows, w.cols, part.rowStart, w.rows]));
      const [x, yCount] = workgroupGrid(Math.ceil(part.rows / ROWS_PER_WORKGROUP), maxDim);
      return { kernel: this.kernel, bindGroup: this.kernel.bind([uniform, part.buffer, h, y]), workgroups: [x, yCount, tokens] as const };
    });
  }
}
