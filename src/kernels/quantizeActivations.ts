import quantizeSource from '../../shaders/quantizeActivations.wgsl?raw';
import layoutSource from '../../shaders/ternaryLayout.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer, requireSize } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';

export interface QuantizeBindings {
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
    this.kernel = new ComputeKernel(device, 'quantizeActivations', [layoutSource, quantizeSource]);
  }

  prepare(b: QuantizeBindings): Dispatch {
    const inStride = b.inStride ?? b.cols;
    if (!(b.cols > 0) || !(b.rows > 0) || inStride < b.cols) {
      throw new InvalidArgumentError(
        `quantizeActivations: need rows > 0 and 0 < cols <= inStride, got rows=${b.rows} cols=${b.cols} inStride=${inStride}`,
      );
    }
    const actWords = activationWordsFor(b.cols);
    requireSize('x', b.x, ((b.rows - 1) * inStride + b.cols) * 4);
    requireSize('xq', b.xq, b.rows * actWords * 4);
    requireSize('xScale', b.xScale, b.rows * 4);
    const params = createUniformBuffer(
      this.device,
      'quantizeActivations.params',
      new Uint32Array([b.cols, inStride, actWords, b.rows]),
    );
    if (b.rows > this.device.limits.maxComputeWorkgroupsPerDimension) {
      throw new InvalidArgumentError(
        `quantizeActivations: ${b.rows} rows exceed the ${this.device.limits.maxComputeWorkgroupsPerDimension} workgroups one dispatch allows`,
      );
    }
    return {
      kernel: this.kernel,
      bindGroup: this.kernel.bind([params, b.x, b.xq, b.xScale]),
      workgroups: [b.rows, 1, 1],
    };
  }
}
