import source from '../../shaders/normQuantize.wgsl?raw';
import { ComputeKernel, largestWorkgroupSize, type Dispatch } from '../gpu/computeKernel.ts';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';

/**
 * What a NormQuantizeKernel computes before quantizing: the gated MLP's product act(gate) * up
 * (`gate` 'relu2' or 'silu'; each input row is then [gate | up]) or the row as it is ('none'), and
 * an RMSNorm of it (`norm`) or not.
 */
export interface QuantizeForm {
  gate: 'none' | 'relu2' | 'silu';
  norm: boolean;
}

/** One quantization of `rows` rows; buffers by their names in normQuantize.wgsl. */
export interface NormQuantizeCall {
  /** f32 rows; for a gated form each row is [gate | up], 2 * cols wide. */
  x: GPUBuffer;
  /** The RMSNorm's weight and eps: given exactly when the kernel's form has `norm`. */
  norm?: { weight: GPUBuffer; eps: number };
  xq: GPUBuffer;
  xScale: GPUBuffer;
  rows: number;
  cols: number;
}

/** normQuantize.wgsl keeps each thread's words (4 columns each) in registers: at most this many. */
const MAX_WORDS_PER_THREAD = 16;

/** The GATE constant of the kernels that quantize a gated input (lib/gatedActivation.wgsl). */
export const GATE_CONSTANT: Record<QuantizeForm['gate'], number> = { none: 0, relu2: 1, silu: 2 };

/**
 * int8 quantization of rows in one pass (normQuantize.wgsl), with the RMSNorm and the gated MLP's
 * activation of its form fused in: `normQuantize`, `quantize`, `relu2NormQuantize`, `siluQuantize`...
 * The kernel is compiled for rows of at most `maxCols` columns, so its loops have fixed trip counts.
 */
export class NormQuantizeKernel {
  private readonly kernel: ComputeKernel;
  /** Bound as `weight` by forms without a norm: the shader declares it, and never reads it then. */
  private readonly unusedWeight?: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    readonly form: QuantizeForm,
    readonly maxCols: number,
  ) {
    const words = activationWordsFor(maxCols);
    // About four words per thread where the device allows that many threads (short per-thread
    // chains of loads), and at least 256 threads.
    const threads = Math.max(256, Math.min(largestWorkgroupSize(device), 2 ** Math.ceil(Math.log2(words / 4))));
    const wordsPerThread = Math.ceil(words / threads);
    const step = form.norm ? 'NormQuantize' : 'Quantize';
    const name = form.gate === 'none' ? step[0].toLowerCase() + step.slice(1) : `${form.gate}${step}`;
    if (wordsPerThread > MAX_WORDS_PER_THREAD) {
      throw new InvalidArgumentError(
        `${name}: rows of ${maxCols} columns need ${wordsPerThread} words per thread on this device (at most ${MAX_WORDS_PER_THREAD})`,
      );
    }
    this.kernel = new ComputeKernel(device, name, source, {
      constants: { GATE: GATE_CONSTANT[form.gate], NORM: form.norm, WG: threads },
      slots: { wordsPerThread: `const WORDS_PER_THREAD = ${wordsPerThread}u;` },
    });
    if (!form.norm) this.unusedWeight = createStorageBuffer(device, `${name}.unusedWeight`, 4);
  }

  prepare(c: NormQuantizeCall): Dispatch[] {
    if (c.cols > this.maxCols)
      throw new InvalidArgumentError(`${this.kernel.label}: ${c.cols} columns, compiled for at most ${this.maxCols}`);
    if ((c.norm !== undefined) !== this.form.norm) {
      throw new InvalidArgumentError(
        `${this.kernel.label}: a norm's weight must be given exactly when the kernel normalizes (it ${this.form.norm ? 'does' : 'does not'})`,
      );
    }
    const params = new Uint32Array(4);
    params.set([c.cols, this.form.gate === 'none' ? c.cols : 2 * c.cols, activationWordsFor(c.cols)]);
    new Float32Array(params.buffer)[3] = c.norm?.eps ?? 0;
    const uniform = createUniformBuffer(this.device, `${this.kernel.label}.params`, params);
    const weight = c.norm?.weight ?? this.unusedWeight!;
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, x: c.x, weight, xq: c.xq, xScale: c.xScale }),
        workgroups: [c.rows, 1, 1],
      },
    ];
  }
}
