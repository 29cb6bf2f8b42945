import gemvSource from '../../shaders/ternaryGemv.wgsl?raw';
import gemvRowsSource from '../../shaders/ternaryGemvRows.wgsl?raw';
import gemvCommonSource from '../../shaders/ternaryGemvCommon.wgsl?raw';
import gemmSource from '../../shaders/ternaryGemm.wgsl?raw';
import layoutSource from '../../shaders/ternaryLayout.wgsl?raw';
import dotAddSubSource from '../../shaders/ternaryDotAddSub.wgsl?raw';
import dotPackedSource from '../../shaders/ternaryDotPacked.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import type { GpuCapabilities } from '../gpu/context.ts';
import type { TernaryWeights } from './ternaryWeights.ts';
import { linearDispatches, type LinearBindings } from './linearDispatch.ts';
import { blocksFor } from './ternaryLayout.ts';
import { InvalidArgumentError } from '../errors.ts';

/**
 * How four ternary weights meet four int8 activations:
 * - `addsub`: unpack and add or subtract each activation (portable, no language feature);
 * - `dot4`: turn the codes into signed bytes and use WGSL `dot4I8Packed` (needs
 *   packed_4x8_integer_dot_product).
 */
export type TernaryDotVariant = 'addsub' | 'dot4';

/** GEMV work split: 32 lanes per row with a reduction (GPUs), or one invocation per row (CPU adapters). */
export type GemvLayout = 'lanes' | 'rows';

export type TernaryLinearBindings = LinearBindings<TernaryWeights>;

const GEMV_ROWS_PER_WORKGROUP: Record<GemvLayout, number> = { lanes: 8, rows: 64 };
/** Lanes sharing a row in ternaryGemv.wgsl. */
const GEMV_LANES = 32;

/**
 * Ternary BitLinear products y = (xq . w) / (s_x * d): a GEMV for one token (decode) and a tiled
 * GEMM for many (prefill), both accumulating exactly in i32.
 */
export class TernaryMatmulKernels {
  private readonly gemv: ComputeKernel;
  private readonly gemm: ComputeKernel;
  readonly gemvLayout: GemvLayout;
  /** The widest input (columns) the GEMV is compiled for: its loop over a row has a fixed trip count. */
  readonly maxCols: number;

  constructor(
    private readonly device: GPUDevice,
    readonly variant: TernaryDotVariant,
    options: { rawAccumulators?: boolean; gemvLayout?: GemvLayout; maxCols?: number } = {},
  ) {
    const dot = variant === 'dot4' ? dotPackedSource : dotAddSubSource;
    const constants = { RAW_ACC: options.rawAccumulators ?? false };
    this.gemvLayout = options.gemvLayout ?? 'lanes';
    this.maxCols = options.maxCols ?? 16384;
    const gemv = this.gemvLayout === 'rows' ? gemvRowsSource : gemvSource;
    const gemvConstants = this.gemvLayout === 'rows' ? constants : { ...constants, BLOCKS_PER_LANE: Math.ceil(blocksFor(this.maxCols) / GEMV_LANES) };
    this.gemv = new ComputeKernel(device, `ternaryGemv.${this.gemvLayout}.${variant}`, [layoutSource, dot, gemvCommonSource, gemv], gemvConstants);
    this.gemm = new ComputeKernel(device, `ternaryGemm.${variant}`, [layoutSource, dot, gemmSource], constants);
  }

  /** The dispatches (one per weight part) that compute this product; m = 1 uses the GEMV. */
  prepare(b: TernaryLinearBindings): Dispatch[] {
    if (b.weights.cols > this.maxCols) throw new InvalidArgumentError(`${b.weights.label}: ${b.weights.cols} input columns, the kernels were built for at most ${this.maxCols}`);
    const kernels = { gemv: this.gemv, gemm: this.gemm, gemvRowsPerWorkgroup: GEMV_ROWS_PER_WORKGROUP[this.gemvLayout] };
    const parts = b.weights.parts.map((p) => ({ rowStart: p.rowStart, rows: p.rows, partBuffers: [p.weights, p.rowScale] }));
    return linearDispatches(this.device, kernels, b, parts);
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
