import source from '../../shaders/normQuantizeGemv.wgsl?raw';
import { ComputeKernel, largestWorkgroupSize, type Dispatch } from '../gpu/computeKernel.ts';
import { createStorageBuffer, createUniformBuffer, requireSize } from '../gpu/buffers.ts';
import { InvalidArgumentError } from '../errors.ts';
import { activationWordsFor, blocksFor } from '../weights/ternaryLayout.ts';
import type { TernaryWeights } from '../weights/ternaryWeights.ts';
import { GATE_CONSTANT, type QuantizeForm } from './normQuantize.ts';

/** One token's product y (+)= W quantize(norm(x)); buffers by their names in normQuantizeGemv.wgsl. */
export interface NormQuantizeGemvCall {
  /** The f32 input row; for a gated form [gate | up], 2 * cols wide. */
  x: GPUBuffer;
  /** The RMSNorm's weight and eps: given exactly when the kernel's form has `norm`. */
  norm?: { weight: GPUBuffer; eps: number };
  weights: TernaryWeights;
  y: GPUBuffer;
  /** Index in y of the first row (default 0). */
  outOffset?: number;
  /** Add into y instead of overwriting it (fuses a residual add). */
  accumulate?: boolean;
}

/** How normQuantizeGemv.wgsl is compiled for rows of `cols` columns (its constants). */
interface GemvPlan {
  WG: number;
  LANES: number;
  BLOCKS_PER_LANE: number;
  WORDS_PER_THREAD: number;
  /** The most workgroups a dispatch launches; more rows are looped over. */
  maxWorkgroups: number;
}

/** The kernel keeps at most this many activation words (4 columns each) per thread in registers. */
const MAX_WORDS_PER_THREAD = 16;
/** ...and at most this many weight blocks (64 columns each) per lane of a row. */
const MAX_BLOCKS_PER_LANE = 32;
/**
 * The grid: every workgroup reads and quantizes the whole input again (from L2), so a few hundred
 * workgroups striding over the rows, not one per row group of a tall matrix. Inputs of WIDE_COLS
 * columns or more cost each workgroup more than streaming its share of weights hides (a 27,648-wide
 * input is 330 KB with its gate and norm weight), so they get half as many workgroups, twice as
 * large: one per multiprocessor of an H100 or H200 (132), the same threads per multiprocessor with
 * half the prologues. On an H200 that took a 10,240 x 27,648 down projection from 60 to 45 us and
 * the ~100B shape's four linears from 157 to 134 us (docs/benchmarks.md); below 6,144 columns it
 * was within noise either way.
 */
const GRID = { threads: 256, maxWorkgroups: 256 };
const WIDE_GRID = { threads: 512, maxWorkgroups: 132 };
const WIDE_COLS = 6144;
/** Lanes of a row may leave this much more of their last pass idle than the best choice, for more lanes. */
const LANE_WASTE_SLACK = 0.05;

/**
 * The compile plan for rows of `cols` columns on `device`, or the reason none fits: the quantized
 * row lives in workgroup memory, and each thread holds at most MAX_WORDS_PER_THREAD words.
 * `maxLanes`: the adapter's smallest subgroup size (lanes of a row sum in one subgroup).
 */
export function normQuantizeGemvPlan(device: GPUDevice, cols: number, maxLanes: number): GemvPlan | string {
  const kBlocks = blocksFor(cols);
  const words = activationWordsFor(cols);
  const leastThreads = 2 ** Math.ceil(Math.log2(words / MAX_WORDS_PER_THREAD));
  const storageFor = (threads: number) => words * 4 + 2 * threads * 4; // xs, partSum, partMax
  const fits = (threads: number) =>
    threads <= largestWorkgroupSize(device) && storageFor(threads) <= device.limits.maxComputeWorkgroupStorageSize;
  // the wide grid where the device allows its workgroups, else the usual one
  const grid = cols >= WIDE_COLS && fits(Math.max(WIDE_GRID.threads, leastThreads)) ? WIDE_GRID : GRID;
  const WG = Math.max(grid.threads, leastThreads);
  if (WG > largestWorkgroupSize(device))
    return `rows of ${cols} columns need workgroups of ${WG} invocations, the device allows ${largestWorkgroupSize(device)}`;
  const storage = storageFor(WG);
  if (storage > device.limits.maxComputeWorkgroupStorageSize)
    return `rows of ${cols} columns need ${storage} bytes of workgroup memory, the device allows ${device.limits.maxComputeWorkgroupStorageSize}`;
  // Lanes per row: the largest power of two whose last pass over the row's blocks wastes about as
  // little as the best (40 blocks: 8 lanes of 5; 108 blocks: 16 lanes of 7).
  const lanes = [32, 16, 8, 4, 2, 1].filter(
    (l) => l <= maxLanes && l <= WG && Math.ceil(kBlocks / l) <= MAX_BLOCKS_PER_LANE,
  );
  if (lanes.length === 0)
    return `rows of ${cols} columns need more than ${MAX_BLOCKS_PER_LANE} blocks per lane with subgroups of ${maxLanes}`;
  const waste = (l: number) => (Math.ceil(kBlocks / l) * l) / kBlocks - 1;
  const least = Math.min(...lanes.map(waste));
  const LANES = lanes.find((l) => waste(l) <= least + LANE_WASTE_SLACK)!;
  return {
    WG,
    LANES,
    BLOCKS_PER_LANE: Math.ceil(kBlocks / LANES),
    WORDS_PER_THREAD: Math.ceil(words / WG),
    maxWorkgroups: grid.maxWorkgroups,
  };
}

/**
 * A decode step's BitLinear with its input's quantization (and the norm and gated activation of
 * its form) in the same dispatch: what NormQuantizeKernel and the ternary GEMV compute in two.
 * Compiled for one input width; needs subgroups and dot4I8Packed.
 */
export class NormQuantizeGemvKernel {
  private readonly kernel: ComputeKernel;
  private readonly rowsPerGroup: number;
  private readonly maxWorkgroups: number;
  /** Bound as `weight` by forms without a norm: the shader declares it, and never reads it then. */
  private readonly unusedWeight?: GPUBuffer;

  /** Throws InvalidArgumentError where normQuantizeGemvPlan finds no plan. */
  constructor(
    private readonly device: GPUDevice,
    readonly form: QuantizeForm,
    readonly cols: number,
    maxLanes: number,
  ) {
    const step = form.norm ? 'NormQuantizeGemv' : 'QuantizeGemv';
    const name = form.gate === 'none' ? step[0].toLowerCase() + step.slice(1) : `${form.gate}${step}`;
    const plan = normQuantizeGemvPlan(device, cols, maxLanes);
    if (typeof plan === 'string') throw new InvalidArgumentError(`${name}: ${plan}`);
    const { BLOCKS_PER_LANE, WORDS_PER_THREAD, maxWorkgroups, ...constants } = plan;
    this.rowsPerGroup = plan.WG / plan.LANES;
    this.maxWorkgroups = maxWorkgroups;
    const registerArrays = `const BLOCKS_PER_LANE = ${BLOCKS_PER_LANE}u;\nconst WORDS_PER_THREAD = ${WORDS_PER_THREAD}u;`;
    this.kernel = new ComputeKernel(device, `${name}.${cols}`, source, {
      constants: {
        ...constants,
        COLS: cols,
        K_BLOCKS: blocksFor(cols),
        GATE: GATE_CONSTANT[form.gate],
        NORM: form.norm,
      },
      slots: { registerArrays },
    });
    if (!form.norm) this.unusedWeight = createStorageBuffer(device, `${name}.unusedWeight`, 4);
  }

  /** The dispatches, one per weight part. */
  prepare(c: NormQuantizeGemvCall): Dispatch[] {
    const { label } = this.kernel;
    const w = c.weights;
    if (w.cols !== this.cols)
      throw new InvalidArgumentError(`${label}: ${w.label} has ${w.cols} input columns, compiled for ${this.cols}`);
    if ((c.norm !== undefined) !== this.form.norm) {
      throw new InvalidArgumentError(
        `${label}: a norm's weight must be given exactly when the kernel normalizes (it ${this.form.norm ? 'does' : 'does not'})`,
      );
    }
    const outOffset = c.outOffset ?? 0;
    requireSize('x', c.x, (this.form.gate === 'none' ? 1 : 2) * this.cols * 4);
    requireSize('y', c.y, (outOffset + w.rows) * 4);
    const weight = c.norm?.weight ?? this.unusedWeight!;
    return w.parts.map(({ rowStart, rows, buffers: [packed, rowScale] }) => {
      const params = new Uint32Array([rows, outOffset + rowStart, c.accumulate ? 1 : 0, 0]);
      new Float32Array(params.buffer)[3] = c.norm?.eps ?? 0;
      const uniform = createUniformBuffer(this.device, `${label}.${w.label}`, params);
      const groups = Math.min(this.maxWorkgroups, Math.ceil(rows / this.rowsPerGroup));
      return {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ p: uniform, x: c.x, weight, w: packed, rowScale, y: c.y }),
        workgroups: [groups, 1, 1] as const,
      };
    });
  }
}
