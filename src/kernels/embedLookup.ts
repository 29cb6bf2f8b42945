import bf16Source from '../../shaders/embedLookupBf16.wgsl?raw';
import int8Source from '../../shaders/embedLookupInt8.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { EmbeddingFormat, EmbeddingWeights } from '../weights/formats.ts';

const SOURCES: Record<EmbeddingFormat, string> = { bf16: bf16Source, int8: int8Source };

/** The embedding rows of `tokens` token ids; buffers by their names in embedLookup*.wgsl. */
export interface EmbedLookupCall {
  /** The table, bound per part (as `table`, and `scales` for int8). */
  weights: EmbeddingWeights;
  /** u32 token ids, one per token. */
  ids: GPUBuffer;
  /** f32 [tokens, cols] output. */
  x: GPUBuffer;
  tokens: number;
}

/** Token ids -> f32 embedding rows (embedLookupBf16.wgsl or embedLookupInt8.wgsl), one dispatch per table part. */
export class EmbedLookupKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    private readonly device: GPUDevice,
    readonly format: EmbeddingFormat = 'bf16',
  ) {
    this.kernel = new ComputeKernel(device, `embedLookup.${format}`, SOURCES[format]);
  }

  prepare(c: EmbedLookupCall): Dispatch[] {
    const table = c.weights;
    if (table.format !== this.format)
      throw new InvalidArgumentError(
        `${table.label}: ${table.format} weights given to the ${this.format} embedding kernel`,
      );
    // the last parameter: 64-column blocks per int8 row, u32 words per bf16 row
    const rowParam = table.format === 'int8' ? table.blocksPerRow : table.cols / 2;
    const parts =
      table.format === 'int8'
        ? table.parts.map(({ rowStart, rows, buffers: [values, scales] }) => ({
            rowStart,
            rows,
            buffers: { table: values, scales },
          }))
        : table.parts.map(({ rowStart, rows, buffers: [values] }) => ({ rowStart, rows, buffers: { table: values } }));
    return parts.map((part) => {
      const uniform = createUniformBuffer(
        this.device,
        'embedLookup.params',
        new Uint32Array([part.rowStart, part.rows, table.cols, rowParam]),
      );
      return {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, ...part.buffers, ids: c.ids, x: c.x }),
        workgroups: [c.tokens, 1, 1] as const,
      };
    });
  }
}
