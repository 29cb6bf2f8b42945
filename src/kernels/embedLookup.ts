import bf16Source from '../../shaders/embedLookup.wgsl?raw';
import int8Source from '../../shaders/embedLookupInt8.wgsl?raw';
import mainSource from '../../shaders/embedLookupMain.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { EmbeddingFormat, EmbeddingWeights } from '../weights/formats.ts';

/** Token ids -> f32 embedding rows (embedLookupMain.wgsl with the table format's embedLookup.wgsl or embedLookupInt8.wgsl), one dispatch per table part. */
export class EmbedLookupKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    private readonly device: GPUDevice,
    readonly format: EmbeddingFormat = 'bf16',
  ) {
    this.kernel = new ComputeKernel(device, `embedLookup.${format}`, [
      format === 'int8' ? int8Source : bf16Source,
      mainSource,
    ]);
  }

  prepare(table: EmbeddingWeights, ids: GPUBuffer, x: GPUBuffer, tokens: number): Dispatch[] {
    if (table.format !== this.format)
      throw new InvalidArgumentError(
        `${table.label}: ${table.format} weights given to the ${this.format} embedding kernel`,
      );
    // the last parameter: 64-column blocks per int8 row, u32 words per bf16 row
    const rowParam = table.format === 'int8' ? table.blocksPerRow : table.cols / 2;
    return table.parts.map((part) => {
      const uniform = createUniformBuffer(
        this.device,
        'embedLookup.params',
        new Uint32Array([part.rowStart, part.rows, table.cols, rowParam]),
      );
      return {
        kernel: this.kernel,
        bindGroup: this.kernel.bind([uniform, ...part.buffers, ids, x]),
        workgroups: [tokens, 1, 1] as const,
      };
    });
  }
}
