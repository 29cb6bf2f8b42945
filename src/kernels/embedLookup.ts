import source from '../../shaders/embedLookup.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import type { Bf16Weights } from './bf16Weights.ts';

/** Token ids -> f32 embedding rows (embedLookup.wgsl), one dispatch per table part. */
export class EmbedLookupKernel {
  private readonly kernel: ComputeKernel;

  constructor(private readonly device: GPUDevice) {
    this.kernel = new ComputeKernel(device, 'embedLookup', [source]);
  }

  prepare(table: Bf16Weights, ids: GPUBuffer, x: GPUBuffer, tokens: number): Dispatch[] {
    return table.parts.map((part) => {
      const uniform = createUniformBuffer(this.device, 'embedLookup.params', new Uint32Array([part.rowStart, part.rows, table.cols, table.cols / 2]));
      return { kernel: this.kernel, bindGroup: this.kernel.bind([uniform, part.buffer, ids, x]), workgroups: [tokens, 1, 1] as const };
    });
  }
}
