import source from '../../shaders/normQuantize.wgsl?raw';
import { ComputeKernel, largestWorkgroupSize, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';

/** One norm + quantization of `rows` rows; buffers by their names in normQuantize.wgsl. */
export interface NormQuantizeCall {
  /** f32 rows; for the gated form each row is [gate | up], 2 * cols wide. */
  x: GPUBuffer;
  weight: GPUBuffer;
  xq: GPUBuffer;
  xScale: GPUBuffer;
  rows: number;
  cols: number;
  eps: number;
}

/** normQuantize.wgsl keeps at most this many words (4 columns each) per thread in registers. */
const MAX_WORDS_PER_THREAD = 16;

/**
 * RMSNorm + int8 quantization in one pass (normQuantize.wgsl); `gated` first applies relu(gate)^2 * up.
 * The kernel is compiled for rows of at most `maxCols` columns, so its loops have fixed trip counts.
 */
export class NormQuantizeKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    private readonly device: GPUDevice,
    readonly gated: boolean,
    readonly maxCols: number,
  ) {
    const words = activationWordsFor(maxCols);
    // About four words per thread where the device allows that many threads (short per-thread
    // chains of loads), and at least 256 threads.
    const threads = Math.max(256, Math.min(largestWorkgroupSize(device), 2 ** Math.ceil(Math.log2(words / 4))));
    const wordsPerThread = Math.ceil(words / threads);
    if (wordsPerThread > MAX_WORDS_PER_THREAD) {
      throw new InvalidArgumentError(
        `normQuantize: rows of ${maxCols} columns need ${wordsPerThread} words per thread on this device (at most ${MAX_WORDS_PER_THREAD})`,
      );
    }
    this.kernel = new ComputeKernel(device, gated ? 'relu2NormQuantize' : 'normQuantize', source, {
      constants: { GATED: gated, WG: threads, WORDS_PER_THREAD: wordsPerThread },
    });
  }

  prepare(c: NormQuantizeCall): Dispatch[] {
    if (c.cols > this.maxCols)
      throw new InvalidArgumentError(`${this.kernel.label}: ${c.cols} columns, compiled for at most ${this.maxCols}`);
    const params = new Uint32Array(4);
    params.set([c.cols, this.gated ? 2 * c.cols : c.cols, activationWordsFor(c.cols)]);
    new Float32Array(params.buffer)[3] = c.eps;
    const uniform = createUniformBuffer(this.device, `${this.kernel.label}.params`, params);
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, x: c.x, weight: c.weight, xq: c.xq, xScale: c.xScale }),
        workgroups: [c.rows, 1, 1],
      },
    ];
  }
}
