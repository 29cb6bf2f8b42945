import bf16Source from '../../shaders/lmHeadBf16.wgsl?raw';
import bf16RowsSource from '../../shaders/lmHeadBf16Rows.wgsl?raw';
import int8Source from '../../shaders/lmHeadInt8.wgsl?raw';
import int8RowsSource from '../../shaders/lmHeadInt8Rows.wgsl?raw';
import type { GemvLayout } from './ternaryMatmul.ts';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { INT8_BLOCK } from '../weights/int8Weights.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { EmbeddingFormat, EmbeddingWeights } from '../weights/formats.ts';

const ROWS_PER_WORKGROUP: Record<EmbeddingFormat, Record<GemvLayout, number>> = {
  bf16: { lanes: 8, rows: 64 },
  int8: { lanes: 32, rows: 64 },
};
/** lmHeadInt8.wgsl's lanes per row (its LANES). */
const INT8_LANES = 32;
const SOURCES: Record<EmbeddingFormat, Record<GemvLayout, string>> = {
  bf16: { lanes: bf16Source, rows: bf16RowsSource },
  int8: { lanes: int8Source, rows: int8RowsSource },
};

/** The logits of `tokens` final hidden states; buffers by their names in lmHead*.wgsl. */
export interface LmHeadCall {
  /** The lm_head (or the tied embedding table), bound per part (as `w`, and `scales` for int8). */
  weights: EmbeddingWeights;
  /** f32 [tokens, cols] hidden states. */
  h: GPUBuffer;
  /** f32 [tokens, rows] logits. */
  y: GPUBuffer;
  tokens: number;
}

/**
 * y[m, :] = W h[m] for the lm_head, one dispatch per weight part: lmHeadBf16.wgsl or
 * lmHeadInt8.wgsl, or on CPU adapters their one-row-per-invocation forms (lmHeadBf16Rows.wgsl,
 * lmHeadInt8Rows.wgsl).
 */
export class LmHeadKernel {
  private readonly kernel: ComputeKernel;

  /** `cols`: the hidden size, the lm_head's columns (lmHeadInt8.wgsl is compiled for it). */
  constructor(
    private readonly device: GPUDevice,
    readonly cols: number,
    readonly layout: GemvLayout = 'lanes',
    readonly format: EmbeddingFormat = 'bf16',
  ) {
    const constants =
      format === 'int8' && layout === 'lanes'
        ? { VEC4S_PER_LANE: Math.ceil((4 * Math.ceil(cols / INT8_BLOCK)) / INT8_LANES) }
        : undefined;
    this.kernel = new ComputeKernel(device, `lmHead.${format}.${layout}`, SOURCES[format][layout], { constants });
  }

  prepare(c: LmHeadCall): Dispatch[] {
    const w = c.weights;
    if (w.format !== this.format)
      throw new InvalidArgumentError(`${w.label}: ${w.format} weights given to the ${this.format} lm_head kernel`);
    if (w.cols !== this.cols)
      throw new InvalidArgumentError(
        `${w.label} has ${w.cols} columns, the lm_head kernel was compiled for ${this.cols}`,
      );
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (c.tokens > maxDim)
      throw new InvalidArgumentError(`${w.label}: ${c.tokens} tokens exceed one dispatch (${maxDim})`);
    const blocks = w.format === 'int8' ? [w.blocksPerRow] : [];
    const parts =
      w.format === 'int8'
        ? w.parts.map(({ rowStart, rows, buffers: [values, scales] }) => ({
            rowStart,
            rows,
            buffers: { w: values, scales },
          }))
        : w.parts.map(({ rowStart, rows, buffers: [values] }) => ({ rowStart, rows, buffers: { w: values } }));
    return parts.map((part) => {
      const [x, yCount] = workgroupGrid(Math.ceil(part.rows / ROWS_PER_WORKGROUP[this.format][this.layout]), maxDim);
      const uniform = createUniformBuffer(
        this.device,
        `${w.label}.gemv`,
        new Uint32Array([part.rows, w.cols, part.rowStart, w.rows, ...blocks]),
      );
      return {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, ...part.buffers, h: c.h, y: c.y }),
        workgroups: [x, yCount, c.tokens] as const,
      };
    });
  }
}
