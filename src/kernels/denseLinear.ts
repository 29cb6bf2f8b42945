import gemvSource from '../../shaders/denseLinearGemv.wgsl?raw';
import gemmSource from '../../shaders/denseLinearGemm.wgsl?raw';
import int8Source from '../../shaders/int8ToF32.wgsl?raw';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from './ternaryLayout.ts';
import type { DenseWeights } from './denseWeights.ts';
import type { TernaryLinearBindings } from './ternaryMatmul.ts';
import { requireSize } from './quantizeActivations.ts';

export type DenseLinearBindings = Omit<TernaryLinearBindings, 'weights'> & { weights: DenseWeights };

const GEMV_ROWS_PER_WORKGROUP = 8;
const GEMM_TILE = 64;

/**
 * The dense baseline's linear layers: f32 weights against the same int8 activations, with the
 * ternary kernels' bindings and work split (denseLinearGemv.wgsl, denseLinearGemm.wgsl).
 */
export class DenseLinearKernels {
  private readonly gemv: ComputeKernel;
  private readonly gemm: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    this.gemv = new ComputeKernel(device, 'denseLinearGemv', [int8Source, gemvSource]);
    this.gemm = new ComputeKernel(device, 'denseLinearGemm', [int8Source, gemmSource]);
  }

  prepare(b: DenseLinearBindings): Dispatch[] {
    const { weights: w, m } = b;
    const outStride = b.outStride ?? w.rows;
    const outOffset = b.outOffset ?? 0;
    requireSize('xq', b.xq, m * activationWordsFor(w.cols) * 4);
    requireSize('y', b.y, ((m - 1) * outStride + outOffset + w.rows) * 4);
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    const accumulate = b.accumulate ? 1 : 0;
    return w.parts.map((part) => {
      if (m === 1) {
        const params = createUniformBuffer(this.device, `${w.label}.gemv`, new Uint32Array([part.rows, w.kBlocks, outOffset + part.rowStart, accumulate]));
        return {
          kernel: this.gemv,
          bindGroup: this.gemv.bind([params, part.weights, b.xq, b.xScale, b.y]),
          workgroups: workgroupGrid(Math.ceil(part.rows / GEMV_ROWS_PER_WORKGROUP), maxDim),
        };
      }
      const tokenTiles = Math.ceil(m / GEMM_TILE);
      if (tokenTiles > maxDim) throw new InvalidArgumentError(`${w.label}: ${m} tokens exceed one dispatch; split the prompt`);
      const params = createUniformBuffer(this.device, `${w.label}.gemm`, new Uint32Array([part.rows, w.kBlocks, outOffset + part.rowStart, accumulate, m, outStride]));
      return {
        kernel: this.gemm,
        bindGroup: this.gemm.bind([params, part.weights, b.xq, b.xScale, b.y]),
        workgroups: [Math.ceil(part.rows / GEMM_TILE), tokenTiles, 1] as const,
      };
    });
  }
}
