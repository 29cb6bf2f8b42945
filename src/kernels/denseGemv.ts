import bf16Source from '../../shaders/denseGemv.wgsl?raw';
import bf16RowsSource from '../../shaders/denseGemvRows.wgsl?raw';
import int8Source from '../../shaders/int8Gemv.wgsl?raw';
import int8RowsSource from '../../shaders/int8GemvRows.wgsl?raw';
import int8ToF32Source from '../../shaders/int8ToF32.wgsl?raw';
import rowsMainSource from '../../shaders/lmHeadRows.wgsl?raw';
import type { GemvLayout } from './ternaryMatmul.ts';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { EmbeddingFormat, EmbeddingWeights } from '../weights/formats.ts';

const ROWS_PER_WORKGROUP: Record<EmbeddingFormat, Record<GemvLayout, number>> = {
  bf16: { lanes: 8, rows: 64 },
  int8: { lanes: 32, rows: 64 },
};
const SOURCES = {
  bf16: { lanes: [bf16Source], rows: [bf16RowsSource, rowsMainSource] },
  int8: { lanes: [int8ToF32Source, int8Source], rows: [int8ToF32Source, int8RowsSource, rowsMainSource] },
};

/**
 * y[m, :] = W h[m] for the lm_head, one dispatch per weight part: denseGemv.wgsl (bf16) or
 * int8Gemv.wgsl, or on CPU adapters lmHeadRows.wgsl (one row per invocation) with that format's
 * row dot product (denseGemvRows.wgsl, int8GemvRows.wgsl).
 */
export class DenseGemvKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    private readonly device: GPUDevice,
    readonly layout: GemvLayout = 'lanes',
    readonly format: EmbeddingFormat = 'bf16',
  ) {
    this.kernel = new ComputeKernel(device, `lmHead.${format}.${layout}`, SOURCES[format][layout]);
  }

  prepare(w: EmbeddingWeights, h: GPUBuffer, y: GPUBuffer, tokens: number): Dispatch[] {
    if (w.format !== this.format)
      throw new InvalidArgumentError(`${w.label}: ${w.format} weights given to the ${this.format} lm_head kernel`);
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (tokens > maxDim) throw new InvalidArgumentError(`${w.label}: ${tokens} tokens exceed one dispatch (${maxDim})`);
    const blocks = w.format === 'int8' ? [w.blocksPerRow] : [];
    return w.parts.map((part) => {
      const [x, yCount] = workgroupGrid(Math.ceil(part.rows / ROWS_PER_WORKGROUP[this.format][this.layout]), maxDim);
      const uniform = createUniformBuffer(
        this.device,
        `${w.label}.gemv`,
        new Uint32Array([part.rows, w.cols, part.rowStart, w.rows, ...blocks]),
      );
      return {
        kernel: this.kernel,
        bindGroup: this.kernel.bind([uniform, ...part.buffers, h, y]),
        workgroups: [x, yCount, tokens] as const,
      };
    });
  }
}
