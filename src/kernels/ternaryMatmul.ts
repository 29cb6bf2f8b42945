import gemvSource from '../../shaders/ternaryGemv.wgsl?raw';
import gemvRowsSource from '../../shaders/ternaryGemvRows.wgsl?raw';
import gemvCommonSource from '../../shaders/ternaryGemvCommon.wgsl?raw';
import gemmSource from '../../shaders/ternaryGemm.wgsl?raw';
import dotAddSubSource from '../../shaders/ternaryDotAddSub.wgsl?raw';
import dotPackedSource from '../../shaders/ternaryDotPacked.wgsl?raw';
import { ComputeKernel, workgroupGrid, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';
import type { GpuCapabilities } from '../gpu/context.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor } from './ternaryLayout.ts';
import type { TernaryWeights } from './ternaryWeights.ts';
import { requireSize } from './quantizeActivations.ts';

/**
 * How four ternary weights meet four int8 activations:
 * - `addsub`: unpack and add or subtract each activation (portable, no language feature);
 * - `dot4`: turn the codes into signed bytes and use WGSL `dot4I8Packed` (needs
 *   packed_4x8_integer_dot_product).
 */
export type TernaryDotVariant = 'addsub' | 'dot4';

/** GEMV work split: 32 lanes per row with a reduction (GPUs), or one invocation per row (CPU adapters). */
export type GemvLayout = 'lanes' | 'rows';

export interface TernaryLinearBindings {
  weights: TernaryWeights;
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

const GEMV_ROWS_PER_WORKGROUP: Record<GemvLayout, number> = { lanes: 8, rows: 64 };
const GEMM_TILE = 64;

/**
 * Ternary BitLinear products y = (xq . w) / (s_x * d): a GEMV for one token (decode) and a tiled
 * GEMM for many (prefill), both accumulating exactly in i32.
 */
export class TernaryMatmulKernels {
  private readonly gemv: ComputeKernel;
  private readonly gemm: ComputeKernel;
  readonly gemvLayout: GemvLayout;

  constructor(
    private readonly device: GPUDevice,
    readonly variant: TernaryDotVariant,
    options: { rawAccumulators?: boolean; gemvLayout?: GemvLayout } = {},
  ) {
    const dot = variant === 'dot4' ? dotPackedSource : dotAddSubSource;
    const constants = { RAW_ACC: options.rawAccumulators ?? false };
    this.gemvLayout = options.gemvLayout ?? 'lanes';
    const gemv = this.gemvLayout === 'rows' ? gemvRowsSource : gemvSource;
    this.gemv = new ComputeKernel(device, `ternaryGemv.${this.gemvLayout}.${variant}`, [dot, gemvCommonSource, gemv], constants);
    this.gemm = new ComputeKernel(device, `ternaryGemm.${variant}`, [dot, gemmSource], constants);
  }

  /** The dispatches (one per weight part) that compute this product; m = 1 uses the GEMV. */
  prepare(b: TernaryLinearBindings): Dispatch[] {
    const { weights: w, m } = b;
    const outStride = b.outStride ?? w.rows;
    const outOffset = b.outOffset ?? 0;
    if (!(Number.isInteger(m) && m > 0)) throw new InvalidArgumentError(`${w.label}: token count must be a positive integer, got ${m}`);
    if (outOffset + w.rows > outStride) {
      throw new InvalidArgumentError(`${w.label}: ${w.rows} output rows at offset ${outOffset} do not fit an output row of ${outStride}`);
    }
    requireSize('xq', b.xq, m * activationWordsFor(w.cols) * 4);
    requireSize('xScale', b.xScale, m * 4);
    requireSize('y', b.y, ((m - 1) * outStride + outOffset + w.rows) * 4);
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    return w.parts.map((part) => {
      const accumulate = b.accumulate ? 1 : 0;
      if (m === 1) {
        const params = createUniformBuffer(this.device, `${w.label}.gemv`, new Uint32Array([part.rows, w.kBlocks, outOffset + part.rowStart, accumulate]));
        return {
          kernel: this.gemv,
          bindGroup: this.gemv.bind([params, part.weights, part.rowScale, b.xq, b.xScale, b.y]),
          workgroups: workgroupGrid(Math.ceil(part.rows / GEMV_ROWS_PER_WORKGROUP[this.gemvLayout]), maxDim),
        };
      }
      const params = createUniformBuffer(
        this.device,
        `${w.label}.gemm`,
        new Uint32Array([part.rows, w.kBlocks, outOffset + part.rowStart, accumulate, m, outStride]),
      );
      const tokenTiles = Math.ceil(m / GEMM_TILE);
      if (tokenTiles > maxDim) throw new InvalidArgumentError(`${w.label}: ${m} tokens exceed one dispatch; split the prompt`);
      return {
        kernel: this.gemm,
        bindGroup: this.gemm.bind([params, part.weights, part.rowScale, b.xq, b.xScale, b.y]),
        workgroups: [Math.ceil(part.rows / GEMM_TILE), tokenTiles, 1] as const,
      };
    });
  }
}

/** The variant measured fastest on the adapter (see the kernel benchmark), falling back to add/sub. */
export function defaultTernaryVariant(caps: GpuCapabilities): TernaryDotVariant {
  return caps.dot4I8Packed ? 'dot4' : 'addsub';
}

/** Row per invocation on CPU adapters, where barriers are expensive; lanes per row on GPUs. */
export function defaultGemvLayout(caps: GpuCapabilities): GemvLayout {
  return caps.cpuAdapter ? 'rows' : 'lanes';
}
