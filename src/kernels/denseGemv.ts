import source from '../../shaders/denseGemv.wgsl?raw';
import rowsSource from '../../shaders/denseGemvRows.wgsl?raw';
import type { GemvLayout } from './ternaryMatmul.ts';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Bf16Weights } from './bf16Weights.ts';

const ROWS_PER_WORKGROUP: Record<GemvLayout, number> = { lanes: 8, rows: 64 };

/** y[m, :] = W h[m] for a bf16 W (the lm_head), one dispatch per weight part (denseGemv.wgsl, or denseGemvRows.wgsl on CPU adapters). */
export class DenseGemvKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    private readonly device: GPUDevice,
    readonly layout: GemvLayout = 'lanes',
  ) {
    this.kernel = new ComputeKernel(device, `denseGemv.${layout}`, [layout === 'rows' ? rowsSource : source]);
  }

  prepare(w: Bf16Weights, h: GPUBuffer, y: GPUBuffer, tokens: number): Dispatch[] {
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (tokens > maxDim) throw new InvalidArgumentError(`${w.label}: ${tokens} tokens exceed one dispatch (${maxDim})`);
    return w.parts.map((part) => {
      const uniform = createUniformBuffer(this.device, `${w.label}.gemv`, new Uint32Array([part.rows, w.cols, part.rowStart, w.rows]));
      const [x, yCount] = workgroupGrid(Math.ceil(part.rows / ROWS_PER_WORKGROUP[this.layout]), maxDim);
      return { kernel: this.kernel, bindGroup: this.kernel.bind([uniform, part.buffer, h, y]), workgroups: [x, yCount, tokens] as const };
    });
  }
}
