import gemvSource from '../../shaders/denseLinearGemv.wgsl?raw';
import gemmSource from '../../shaders/denseLinearGemm.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import type { F32Weights } from '../weights/f32Weights.ts';
import { linearDispatches, type LinearCall, type LinearKernelPair } from './linearDispatch.ts';

export type DenseLinearCall = LinearCall<F32Weights>;

/**
 * The dense baseline's linear layers: f32 weights against the same int8 activations, with the
 * ternary kernels' bindings and work split (denseLinearGemv.wgsl: 8 rows per workgroup,
 * denseLinearGemm.wgsl).
 */
export class DenseLinearKernels {
  private readonly kernels: LinearKernelPair;

  constructor(private readonly device: GPUDevice) {
    this.kernels = {
      gemv: new ComputeKernel(device, 'denseLinearGemv', gemvSource),
      gemm: new ComputeKernel(device, 'denseLinearGemm', gemmSource),
      gemvRowsPerWorkgroup: 8,
      gemmTile: { rows: 64, tokens: 64 },
    };
  }

  prepare(c: DenseLinearCall): Dispatch[] {
    const parts = c.weights.parts.map(({ rowStart, rows, buffers: [w] }) => ({ rowStart, rows, buffers: { w } }));
    return linearDispatches(this.device, this.kernels, c, parts);
  }
}
