import gemvWorkgroupSource from '../../shaders/ternaryGemvWorkgroup.wgsl?raw';
import gemvSubgroupSource from '../../shaders/ternaryGemvSubgroup.wgsl?raw';
import gemvRowsSource from '../../shaders/ternaryGemvRows.wgsl?raw';
import gemmSource from '../../shaders/ternaryGemm.wgsl?raw';
import gemmRowsSource from '../../shaders/ternaryGemmRows.wgsl?raw';
import dotAddSubSource from '../../shaders/lib/ternaryDotAddSub.wgsl?raw';
import dotPackedSource from '../../shaders/lib/ternaryDotPacked.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import type { GpuCapabilities } from '../gpu/context.ts';
import type { TernaryWeights } from '../weights/ternaryWeights.ts';
import { linearDispatches, type LinearCall } from './linearDispatch.ts';
import { blocksFor } from '../weights/ternaryLayout.ts';
import { InvalidArgumentError } from '../errors.ts';

/**
 * How four ternary weights meet four int8 activations:
 * - `addsub`: unpack and add or subtract each activation (portable, no language feature);
 * - `dot4`: turn the codes into signed bytes and use WGSL `dot4I8Packed` (needs
 *   packed_4x8_integer_dot_product).
 */
export type TernaryDotVariant = 'addsub' | 'dot4';

/** What fills the ternary kernels' slot ternaryDot for each variant. */
const DOT_SOURCES: Record<TernaryDotVariant, string> = { addsub: dotAddSubSource, dot4: dotPackedSource };

/** GEMV work split: 32 lanes per row with a reduction (GPUs), or one invocation per row (CPU adapters). */
export type GemvLayout = 'lanes' | 'rows';

/**
 * GEMM work split: 64 x 64 tiles staged in workgroup memory (GPUs), or one invocation per row
 * and a few tokens, without barriers (CPU adapters).
 */
export type GemmLayout = 'tiles' | 'rows';

export type TernaryLinearCall = LinearCall<TernaryWeights>;

/** Lanes sharing a row in ternaryGemvWorkgroup.wgsl (at most, in ternaryGemvSubgroup.wgsl). */
const GEMV_LANES = 32;
/** Invocations per workgroup of both lanes GEMVs; ternaryGemvRows.wgsl has a row per invocation of 64. */
const GEMV_WORKGROUP: Record<GemvLayout, number> = { lanes: 256, rows: 64 };
/** Rows x tokens of a workgroup of ternaryGemm.wgsl and of ternaryGemmRows.wgsl (its TOKENS). */
const GEMM_TILE: Record<GemmLayout, { rows: number; tokens: number }> = {
  tiles: { rows: 64, tokens: 64 },
  rows: { rows: 64, tokens: 8 },
};

/**
 * Ternary BitLinear products y = (xq . w) / (s_x * d): a GEMV for one token (decode) and a GEMM
 * for many (prefill), both accumulating exactly in i32.
 */
export class TernaryMatmulKernels {
  private readonly gemv: ComputeKernel;
  private readonly gemm: ComputeKernel;
  private readonly gemvRowsPerWorkgroup: number;
  readonly gemvLayout: GemvLayout;
  readonly gemmLayout: GemmLayout;
  /** The widest input (columns) the GEMV is compiled for: its loop over a row has a fixed trip count. */
  readonly maxCols: number;

  /**
   * `subgroupLanes`: with the lanes layout, sum each row in a subgroup of this many lanes
   * (ternaryGemvSubgroup.wgsl; see gemvSubgroupLanes) instead of through workgroup memory.
   */
  constructor(
    private readonly device: GPUDevice,
    readonly variant: TernaryDotVariant,
    options: {
      rawAccumulators?: boolean;
      gemvLayout?: GemvLayout;
      gemmLayout?: GemmLayout;
      maxCols?: number;
      subgroupLanes?: number;
    } = {},
  ) {
    const rawAcc = { RAW_ACC: options.rawAccumulators ?? false };
    const slots = { ternaryDot: DOT_SOURCES[variant] };
    this.gemvLayout = options.gemvLayout ?? 'lanes';
    this.gemmLayout = options.gemmLayout ?? 'tiles';
    this.maxCols = options.maxCols ?? 16384;
    const lanes = options.subgroupLanes;
    if (lanes !== undefined && !(Number.isInteger(Math.log2(lanes)) && lanes >= 1 && lanes <= GEMV_LANES)) {
      throw new InvalidArgumentError(`subgroupLanes must be a power of two in 1..${GEMV_LANES}, got ${lanes}`);
    }
    if (this.gemvLayout === 'rows') {
      this.gemv = new ComputeKernel(device, `ternaryGemv.rows.${variant}`, gemvRowsSource, {
        constants: rawAcc,
        slots,
      });
      this.gemvRowsPerWorkgroup = GEMV_WORKGROUP.rows;
    } else {
      const rowLanes = lanes ?? GEMV_LANES;
      const blocks = { ...rawAcc, BLOCKS_PER_LANE: Math.ceil(blocksFor(this.maxCols) / rowLanes) };
      this.gemv =
        lanes === undefined
          ? new ComputeKernel(device, `ternaryGemv.lanes.${variant}`, gemvWorkgroupSource, {
              constants: blocks,
              slots,
            })
          : new ComputeKernel(device, `ternaryGemv.subgroup${lanes}.${variant}`, gemvSubgroupSource, {
              constants: { ...blocks, LANES: lanes },
              slots,
            });
      this.gemvRowsPerWorkgroup = GEMV_WORKGROUP.lanes / rowLanes;
    }
    this.gemm =
      this.gemmLayout === 'rows'
        ? new ComputeKernel(device, `ternaryGemm.rows.${variant}`, gemmRowsSource, { constants: rawAcc, slots })
        : new ComputeKernel(device, `ternaryGemm.${variant}`, gemmSource, { constants: rawAcc, slots });
  }

  /** The dispatches (one per weight part) that compute this product; m = 1 uses the GEMV. */
  prepare(c: TernaryLinearCall): Dispatch[] {
    if (c.weights.cols > this.maxCols)
      throw new InvalidArgumentError(
        `${c.weights.label}: ${c.weights.cols} input columns, the kernels were built for at most ${this.maxCols}`,
      );
    const kernels = {
      gemv: this.gemv,
      gemm: this.gemm,
      gemvRowsPerWorkgroup: this.gemvRowsPerWorkgroup,
      gemmTile: GEMM_TILE[this.gemmLayout],
    };
    const parts = c.weights.parts.map(({ rowStart, rows, buffers: [w, rowScale] }) => ({
      rowStart,
      rows,
      buffers: { w, rowScale },
    }));
    return linearDispatches(this.device, kernels, c, parts);
  }
}

/** The variant measured fastest on the adapter (see the kernel benchmark), falling back to add/sub. */
export function defaultTernaryVariant(caps: GpuCapabilities): TernaryDotVariant {
  return caps.dot4I8Packed ? 'dot4' : 'addsub';
}

/**
 * Lanes per row for a GEMV that sums in subgroups: 32, or fewer where the adapter's subgroups may
 * be smaller; undefined where WGSL lacks subgroups or `subgroup_id`, or the adapter does not give
 * its smallest subgroup size.
 */
export function gemvSubgroupLanes(caps: GpuCapabilities): number | undefined {
  if (!caps.subgroups || !caps.subgroupId || caps.subgroupMinSize < 1) return undefined;
  return Math.min(GEMV_LANES, 2 ** Math.floor(Math.log2(caps.subgroupMinSize)));
}

/** Row per invocation on CPU adapters, where barriers are expensive; lanes per row on GPUs. */
export function defaultGemvLayout(caps: GpuCapabilities): GemvLayout {
  return caps.cpuAdapter ? 'rows' : 'lanes';
}

/** Row per invocation on CPU adapters, where barriers are expensive; tiles on GPUs. */
export function defaultGemmLayout(caps: GpuCapabilities): GemmLayout {
  return caps.cpuAdapter ? 'rows' : 'tiles';
}
