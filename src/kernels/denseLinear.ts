import gemvSource from '../../shaders/denseLinearGemv.wgsl?raw';
import gemmSource from '../../shaders/denseLinearGemm.wgsl?raw';
import int8Source from '../../shaders/int8ToF32.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import type { F32Weights } from '../weights/f32Weights.ts';
import { linearDispatches, type LinearBindings, type LinearKernelPair } from './linearDispatch.ts';

export type DenseLinearBindings = LinearBindings<F32Weights>;

/**
 * The dense baseline's linear layers: f32 weights against the same int8 activations, with the
 * ternary kernels' bindings and work split (denseLinearGemv.wgsl: 8 rows per workgroup,
 * denseLinearGemm.wgsl).
 */
export class DenseLinearKernels {
  private readonly kernels: LinearKernelPair;

  constructor(private readonly device: GPUDevice) {
    this.kernels = {
      gemv: new ComputeKernel(device, 'denseLinearGemv', [int8Source, gemvSource]),
      gemm: new ComputeKernel(device, 'denseLinearGemm', [int8Source, gemmSource]),
      gemvRowsPerWorkgroup: 8,
      gemmTile: { rows: 64, tokens: 64 },
    };
  }

  prepare(b: DenseLinearBindings): Dispatch[] {
    return linearDispatches(this.device, this.kernels, b, b.weights.parts);
  }
}
