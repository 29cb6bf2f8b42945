import gemvSource from '../../shaders/ternaryGemv.wgsl?raw';
import gemvRowsSource from '../../shaders/ternaryGemvRows.wgsl?raw';
import gemvCommonSource from '../../shaders/ternaryGemvCommon.wgsl?raw';
import gemvInputSource from '../../shaders/ternaryGemvInput.wgsl?raw';
import gemvNormInputSource from '../../shaders/ternaryGemvNormInput.wgsl?raw';
import normRowSource from '../../shaders/normQuantizeRow.wgsl?raw';
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

/** A GEMV whose input is the f32 row, normalized and quantized inside each workgroup. */
export interface NormedGemvBindings {
  weights: TernaryWeights;
  /** One f32 row; for the gated form [gate | up], 2 * weights.cols wide. */
  x: GPUBuffer;
  normWeight: GPUBuffer;
  gated: boolean;
  eps: number;
  y: GPUBuffer;
  accumulate?: boolean;
}

/** An input the fused GEMV is built for: its width and whether relu2 gating comes first. */
export interface NormedInput {
  cols: number;
  gated: boolean;
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
  private readonly normedGemv = new Map<string, ComputeKernel>();
  readonly gemvLayout: GemvLayout;

  constructor(
    private readonly device: GPUDevice,
    readonly variant: TernaryDotVariant,
    options: { rawAccumulators?: boolean; gemvLayout?: GemvLayout; normedInputs?: NormedInput[] } = {},
  ) {
    const dot = variant === 'dot4' ? dotPackedSource : dotAddSubSource;
    const constants = { RAW_ACC: options.rawAccumulators ?? false };
    this.gemvLayout = options.gemvLayout ?? 'lanes';
    const gemv = this.gemvLayout === 'rows' ? gemvRowsSource : gemvSource;
    this.gemv = new ComputeKernel(device, `ternaryGemv.${this.gemvLayout}.${variant}`, [dot, gemvInputSource, gemvCommonSource, gemv], constants);
    this.gemm = new ComputeKernel(device, `ternaryGemm.${variant}`, [dot, gemmSource], constants);
    if (this.gemvLayout === 'lanes') {
      for (const input of options.normedInputs ?? []) {
        const key = normedKey(input.cols, input.gated);
        if (this.normedGemv.has(key) || !normedInputFits(device, input.cols)) continue;
        this.normedGemv.set(
          key,
          new ComputeKernel(device, `ternaryGemv.normed${input.gated ? '.relu2' : ''}.${variant}`, [dot, normRowSource, gemvNormInputSource, gemvCommonSource, gemvSource], {
            ...constants,
            GATED: input.gated,
            ACT_VEC4: activationWordsFor(input.cols) / 4,
          }),
        );
      }
    }
  }

  /** Whether prepareNormed can take this input (lanes layout, built for it, fits workgroup memory). */
  hasNormed(cols: number, gated: boolean): boolean {
    return this.normedGemv.has(normedKey(cols, gated));
  }

  /** One dispatch per weight part for a single token whose BitLinear input norm is fused in. */
  prepareNormed(b: NormedGemvBindings): Dispatch[] {
    const w = b.weights;
    const kernel = this.normedGemv.get(normedKey(w.cols, b.gated));
    if (!kernel) throw new InvalidArgumentError(`${w.label}: no fused-norm GEMV was built for ${w.cols} columns${b.gated ? ' (gated)' : ''}`);
    requireSize('x', b.x, w.cols * (b.gated ? 2 : 1) * 4);
    requireSize('normWeight', b.normWeight, w.cols * 4);
    requireSize('y', b.y, w.rows * 4);
    const normValues = new Uint32Array([w.cols, activationWordsFor(w.cols), 0, 0]);
    new Float32Array(normValues.buffer)[2] = b.eps;
    const norm = createUniformBuffer(this.device, `${w.label}.norm`, normValues);
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    return w.parts.map((part) => {
      const params = createUniformBuffer(this.device, `${w.label}.gemv`, new Uint32Array([part.rows, w.kBlocks, part.rowStart, b.accumulate ? 1 : 0]));
      return {
        kernel,
        bindGroup: kernel.bind([params, part.weights, part.rowScale, b.x, b.normWeight, b.y, norm]),
        workgroups: workgroupGrid(Math.ceil(part.rows / GEMV_ROWS_PER_WORKGROUP.lanes), maxDim),
      };
    });
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

function normedKey(cols: number, gated: boolean): string {
  return `${cols}:${gated}`;
}

/** The quantized row, the reduction scratch and the GEMV's partial sums must fit workgroup memory. */
function normedInputFits(device: GPUDevice, cols: number): boolean {
  return activationWordsFor(cols) * 4 + 2 * 256 * 4 <= device.limits.maxComputeWorkgroupStorageSize;
}

/** The variant measured fastest on the adapter (see the kernel benchmark), falling back to add/sub. */
export function defaultTernaryVariant(caps: GpuCapabilities): TernaryDotVariant {
  return caps.dot4I8Packed ? 'dot4' : 'addsub';
}

/** Row per invocation on CPU adapters, where barriers are expensive; lanes per row on GPUs. */
export function defaultGemvLayout(caps: GpuCapabilities): GemvLayout {
  return caps.cpuAdapter ? 'rows' : 'lanes';
}
