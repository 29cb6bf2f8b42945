import source from '../../shaders/quantizeActivations.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer, requireSize } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';

/** One quantization of `rows` rows; buffers by their names in quantizeActivations.wgsl. */
export interface QuantizeCall {
  /** f32 input, `rows` rows of `inStride` floats; the first `cols` of each are quantized. */
  x: GPUBuffer;
  /** Output: `activationWordsFor(cols)` u32 words per row (int8 x4 in the order of ternaryLayout.ts, zero-padded). */
  xq: GPUBuffer;
  /** Output: one f32 scale s = 127 / max|x| per row. */
  xScale: GPUBuffer;
  rows: number;
  cols: number;
  inStride?: number;
}

/** Per-row absmax int8 quantization of activations (quantizeActivations.wgsl). */
export class QuantizeActivationsKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    this.kernel = new ComputeKernel(device, 'quantizeActivations', source);
  }

  prepare(c: QuantizeCall): Dispatch[] {
    const inStride = c.inStride ?? c.cols;
    if (!(c.cols > 0) || !(c.rows > 0) || inStride < c.cols) {
      throw new InvalidArgumentError(
        `quantizeActivations: need rows > 0 and 0 < cols <= inStride, got rows=${c.rows} cols=${c.cols} inStride=${inStride}`,
      );
    }
    const actWords = activationWordsFor(c.cols);
    requireSize('x', c.x, ((c.rows - 1) * inStride + c.cols) * 4);
    requireSize('xq', c.xq, c.rows * actWords * 4);
    requireSize('xScale', c.xScale, c.rows * 4);
    const params = createUniformBuffer(
      this.device,
      'quantizeActivations.params',
      new Uint32Array([c.cols, inStride, actWords, c.rows]),
    );
    if (c.rows > this.device.limits.maxComputeWorkgroupsPerDimension) {
      throw new InvalidArgumentError(
        `quantizeActivations: ${c.rows} rows exceed the ${this.device.limits.maxComputeWorkgroupsPerDimension} workgroups one dispatch allows`,
      );
    }
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: params, x: c.x, xq: c.xq, xScale: c.xScale }),
        workgroups: [c.rows, 1, 1],
      },
    ];
  }
}
