import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer, requireSize } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from '../weights/ternaryLayout.ts';

/** What the dispatch code needs of a linear layer's weights, whatever their format. */
export interface LinearMatrix {
  label: string;
  rows: number;
  cols: number;
  /** 64-column blocks per row. */
  kBlocks: number;
}

/**
 * One linear layer's product y = W xq for `m` tokens; buffers by their names in the kernels' WGSL
 * (the weights' part buffers bind per part).
 */
export interface LinearCall<W extends LinearMatrix> {
  weights: W;
  /** Quantized activations: `m` rows of activationWordsFor(weights.cols) words. */
  xq: GPUBuffer;
  xScale: GPUBuffer;
  /** Output f32 [m, outStride]; this matrix writes columns outOffset .. outOffset + rows. */
  y: GPUBuffer;
  m: number;
  outStride?: number;
  outOffset?: number;
  /** Add into y instead of overwriting it (fuses a residual add). */
  accumulate?: boolean;
}

/** A format's GEMV (one token) and GEMM (many) with how much of the output a workgroup of each covers. */
export interface LinearKernelPair {
  gemv: ComputeKernel;
  gemm: ComputeKernel;
  gemvRowsPerWorkgroup: number;
  /** Rows x tokens of a GEMM workgroup. */
  gemmTile: { rows: number; tokens: number };
}

/** One weight part's rows and its buffers by WGSL name (w, and the ternary kernels' rowScale). */
export interface LinearPart {
  rowStart: number;
  rows: number;
  buffers: Readonly<Record<string, GPUBuffer>>;
}

/**
 * The dispatches of y = W xq, one per weight part, for the ternary kernels and the f32 baseline
 * alike: both bind p (lib/linearParams.wgsl), the part's buffers, xq, xScale and y. Arguments are
 * checked before anything is created.
 */
export function linearDispatches<W extends LinearMatrix>(
  device: GPUDevice,
  kernels: LinearKernelPair,
  c: LinearCall<W>,
  parts: readonly LinearPart[],
): Dispatch[] {
  const { weights: w, m } = c;
  const outStride = c.outStride ?? w.rows;
  const outOffset = c.outOffset ?? 0;
  if (!(Number.isInteger(m) && m > 0))
    throw new InvalidArgumentError(`${w.label}: token count must be a positive integer, got ${m}`);
  if (outOffset + w.rows > outStride) {
    throw new InvalidArgumentError(
      `${w.label}: ${w.rows} output rows at offset ${outOffset} do not fit an output row of ${outStride}`,
    );
  }
  requireSize('xq', c.xq, m * activationWordsFor(w.cols) * 4);
  requireSize('xScale', c.xScale, m * 4);
  requireSize('y', c.y, ((m - 1) * outStride + outOffset + w.rows) * 4);
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const tokenTiles = Math.ceil(m / kernels.gemmTile.tokens);
  if (m > 1 && tokenTiles > maxDim)
    throw new InvalidArgumentError(`${w.label}: ${m} tokens exceed one dispatch; split the prompt`);
  const accumulate = c.accumulate ? 1 : 0;
  return parts.map((part) => {
    const params = [part.rows, w.kBlocks, outOffset + part.rowStart, accumulate];
    if (m === 1) {
      const uniform = createUniformBuffer(device, `${w.label}.gemv`, new Uint32Array(params));
      return {
        kernel: kernels.gemv,
        bindGroup: kernels.gemv.bind({ p: uniform, ...part.buffers, xq: c.xq, xScale: c.xScale, y: c.y }),
        workgroups: workgroupGrid(Math.ceil(part.rows / kernels.gemvRowsPerWorkgroup), maxDim),
      };
    }
    const uniform = createUniformBuffer(device, `${w.label}.gemm`, new Uint32Array([...params, m, outStride]));
    return {
      kernel: kernels.gemm,
      bindGroup: kernels.gemm.bind({ p: uniform, ...part.buffers, xq: c.xq, xScale: c.xScale, y: c.y }),
      workgroups: [Math.ceil(part.rows / kernels.gemmTile.rows), tokenTiles, 1] as const,
    };
  });
}
