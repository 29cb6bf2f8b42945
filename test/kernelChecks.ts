// Checks of the BitLinear kernels against the CPU reference. Shared by the Node tests
// (test/ternaryKernels.test.ts) and the Chromium page (e2e/), so both run the very same cases.
import type { GpuContext } from '../src/gpu/context.ts';
import { createStorageBuffer, createUniformBuffer, readBuffer } from '../src/gpu/buffers.ts';
import { ComputeKernel, kernelsReady, submitDispatches, type Dispatch } from '../src/gpu/computeKernel.ts';
import { QuantizeActivationsKernel } from '../src/kernels/quantizeActivations.ts';
import { NormQuantizeKernel, type QuantizeForm } from '../src/kernels/normQuantize.ts';
import { NormQuantizeGemvKernel, normQuantizeGemvPlan } from '../src/kernels/normQuantizeGemv.ts';
import { ArgmaxKernel } from '../src/kernels/argmax.ts';
import {
  TernaryMatmulKernels,
  gemvSubgroupLanes,
  type GemmLayout,
  type TernaryDotVariant,
} from '../src/kernels/ternaryMatmul.ts';
import {
  activationWordsFor,
  fromActivationOrder,
  packTernary,
  repackHuggingFaceTernary,
} from '../src/weights/ternaryLayout.ts';
import { uploadTernaryWeights } from '../src/weights/ternaryWeights.ts';
import { bitLinearOutput, quantizeRows, roundHalfEven, ternaryAccumulators } from './reference/bitlinear.ts';
import { rmsNorm } from './reference/forward.ts';
import { RoundingTies, otherRounding, type Tie } from './reference/roundingTies.ts';
import { check, checkClose, checkEqualArrays, checkRejects } from './check.ts';
import { randomNormalish, randomTernary, seededRandom } from './random.ts';

export interface NamedCheck {
  name: string;
  run(ctx: GpuContext): Promise<void>;
}

interface Case {
  m: number;
  n: number;
  k: number;
  seed: number;
  /** Shape the input: zero rows, a huge value. */
  special?: 'zero-row' | 'huge-value';
  maxBindingBytes?: number;
}

/** The GEMV forms: lanes summing through workgroup memory, lanes summing in subgroups, a row per invocation. */
type GemvForm = 'lanes' | 'subgroup' | 'rows';

function gemvFormsOf(ctx: GpuContext): GemvForm[] {
  return gemvSubgroupLanes(ctx.caps) === undefined ? ['lanes', 'rows'] : ['lanes', 'subgroup', 'rows'];
}

/** The GEMM forms: 64 x 64 tiles through workgroup memory, a row and 8 tokens per invocation. */
const GEMM_LAYOUTS: GemmLayout[] = ['tiles', 'rows'];

/** Which GEMV and GEMM a check runs (a case uses one of them: the GEMV for m = 1). */
interface Forms {
  gemv: GemvForm;
  gemm: GemmLayout;
}
const DEFAULT_FORMS: Forms = { gemv: 'lanes', gemm: 'tiles' };

const kernelCache = new WeakMap<GPUDevice, Map<string, TernaryMatmulKernels>>();
function matmulKernels(
  ctx: GpuContext,
  variant: TernaryDotVariant,
  raw: boolean,
  forms = DEFAULT_FORMS,
): TernaryMatmulKernels {
  let byKey = kernelCache.get(ctx.device);
  if (!byKey) kernelCache.set(ctx.device, (byKey = new Map()));
  const key = `${variant}:${raw}:${forms.gemv}:${forms.gemm}`;
  let k = byKey.get(key);
  if (!k) {
    const options = {
      rawAccumulators: raw,
      gemvLayout: forms.gemv === 'rows' ? ('rows' as const) : ('lanes' as const),
      subgroupLanes: forms.gemv === 'subgroup' ? gemvSubgroupLanes(ctx.caps) : undefined,
      gemmLayout: forms.gemm,
    };
    byKey.set(key, (k = new TernaryMatmulKernels(ctx.device, variant, options)));
  }
  return k;
}

function makeInput(c: Case): { w: Int8Array; x: Float32Array; rowScale: Float32Array } {
  const rand = seededRandom(c.seed);
  const w = randomTernary(rand, c.n * c.k);
  const x = randomNormalish(rand, c.m * c.k, 3);
  if (c.special === 'zero-row') x.fill(0, 0, c.k);
  if (c.special === 'huge-value') x[Math.floor(rand() * c.k)] = 6.0e4;
  const rowScale = new Float32Array(c.n);
  for (let i = 0; i < c.n; i++) rowScale[i] = 0.5 + rand() * 3;
  return { w, x, rowScale };
}

/** Runs quantize + ternary matmul on the GPU; returns what came back. */
async function runOnGpu(
  ctx: GpuContext,
  c: Case,
  variant: TernaryDotVariant,
  raw: boolean,
  packed?: Uint32Array,
  forms = DEFAULT_FORMS,
) {
  const { device } = ctx;
  const { w, x, rowScale } = makeInput(c);
  const weights = uploadTernaryWeights(
    device,
    'w',
    packed ?? packTernary(w, c.n, c.k),
    rowScale,
    c.n,
    c.k,
    c.maxBindingBytes,
  );
  const xBuf = createStorageBuffer(device, 'x', x);
  const xq = createStorageBuffer(device, 'xq', c.m * activationWordsFor(c.k) * 4);
  const xScale = createStorageBuffer(device, 'xScale', c.m * 4);
  const y = createStorageBuffer(device, 'y', c.m * c.n * 4);
  const dispatches: Dispatch[] = [
    ...new QuantizeActivationsKernel(device).prepare({ x: xBuf, xq, xScale, rows: c.m, cols: c.k }),
    ...matmulKernels(ctx, variant, raw, forms).prepare({ weights, xq, xScale, y, m: c.m }),
  ];
  await kernelsReady(device);
  submitDispatches(device, dispatches);
  const gpuQ = fromActivationOrder(new Int8Array(await readBuffer(device, xq)), c.m, c.k);
  const gpuScale = new Float32Array(await readBuffer(device, xScale));
  const out = await readBuffer(device, y, c.m * c.n * 4);
  for (const b of [xBuf, xq, xScale, y]) b.destroy();
  return { w, x, rowScale, weights, gpuQ, gpuScale, out };
}

async function checkCase(ctx: GpuContext, c: Case, variant: TernaryDotVariant, forms = DEFAULT_FORMS): Promise<void> {
  const what = `${variant}/${c.m === 1 ? forms.gemv : forms.gemm} m=${c.m} n=${c.n} k=${c.k}${c.special ? ` ${c.special}` : ''}`;
  // Integer accumulators: bit-exact against the CPU, from the activations the GPU quantized.
  const raw = await runOnGpu(ctx, c, variant, true, undefined, forms);
  for (let r = 0; r < c.m; r++) {
    let m = 0;
    for (let i = 0; i < c.k; i++) m = Math.max(m, Math.abs(raw.x[r * c.k + i]));
    // WGSL division may be off by a few ulp; multiply and round are exact, so q must follow the GPU scale exactly.
    checkClose([raw.gpuScale[r]], [127 / Math.max(m, Math.fround(1e-5))], `${what}: scale of row ${r}`, 1e-6, 0);
    for (let i = 0; i < c.k; i++) {
      const expected = Math.min(127, Math.max(-128, roundHalfEven(Math.fround(raw.x[r * c.k + i] * raw.gpuScale[r]))));
      check(
        raw.gpuQ[r * c.k + i] === expected,
        `${what}: q[${r},${i}] = ${raw.gpuQ[r * c.k + i]}, expected ${expected}`,
      );
    }
  }
  const acc = ternaryAccumulators(raw.gpuQ, raw.w, c.m, c.n, c.k);
  checkEqualArrays(new Int32Array(raw.out), acc, `${what}: accumulators`);
  // Scaled outputs: float tolerance.
  const scaled = await runOnGpu(ctx, c, variant, false, undefined, forms);
  checkClose(
    new Float32Array(scaled.out),
    bitLinearOutput(acc, scaled.gpuScale, scaled.rowScale, c.m, c.n),
    `${what}: outputs`,
    1e-5,
    1e-6,
  );
}

const CASES: Case[] = [
  { m: 1, n: 8, k: 64, seed: 1 },
  { m: 1, n: 13, k: 7, seed: 2 },
  { m: 1, n: 257, k: 333, seed: 3 },
  { m: 1, n: 640, k: 2560, seed: 4 },
  { m: 1, n: 40, k: 6912, seed: 16 }, // four 64-column blocks per GEMV lane
  { m: 1, n: 31, k: 1000, seed: 5, special: 'zero-row' },
  { m: 1, n: 64, k: 517, seed: 6, special: 'huge-value' },
  { m: 2, n: 65, k: 129, seed: 7 },
  { m: 5, n: 100, k: 250, seed: 8, special: 'zero-row' },
  { m: 17, n: 3, k: 1, seed: 9 },
  { m: 37, n: 129, k: 190, seed: 10, special: 'huge-value' },
  { m: 37, n: 70, k: 688, seed: 11 },
  { m: 64, n: 64, k: 64, seed: 12 },
  { m: 70, n: 200, k: 96, seed: 13 },
  { m: 150, n: 70, k: 130, seed: 14 }, // several GEMM token tiles
];

/** A case of the fused decode GEMV: its form, shape, and how it writes y. */
interface FusedCase {
  form: QuantizeForm;
  n: number;
  k: number;
  seed: number;
  outOffset?: number;
  accumulate?: boolean;
  maxBindingBytes?: number;
  /** Rows enough that the workgroups loop over them (checked, so the case keeps testing the loop). */
  strides?: boolean;
}

const FUSED_CASES: FusedCase[] = [
  { form: { gate: 'none', norm: true }, n: 640, k: 2560, seed: 51 },
  { form: { gate: 'none', norm: false }, n: 257, k: 333, seed: 52, outOffset: 5 },
  { form: { gate: 'relu2', norm: true }, n: 40, k: 6912, seed: 53, accumulate: true },
  { form: { gate: 'silu', norm: false }, n: 31, k: 1000, seed: 54, accumulate: true },
  { form: { gate: 'silu', norm: true }, n: 100, k: 300, seed: 55, maxBindingBytes: 7 * 5 * 16 },
  // more row groups than workgroups (256 rows a group at k = 64): the grid strides over rows
  { form: { gate: 'none', norm: true }, n: 70000, k: 64, seed: 56, strides: true },
  // a wide input (normQuantizeGemv.ts's WIDE_COLS), on either grid the device allows, strides too
  { form: { gate: 'relu2', norm: true }, n: 17000, k: 6144, seed: 57, strides: true },
];

/**
 * The CPU reference of one token through a fused decode GEMV: act(gate) * up, RMSNorm, int8
 * quantization, the ternary product; plus the values that sit on a rounding tie (RoundingTies),
 * which a correct kernel may quantize either way.
 */
function fusedReference(c: FusedCase, x: Float32Array, normWeight: Float32Array, w: Int8Array, rowScale: Float32Array) {
  const f = Math.fround;
  let v = x.subarray(0, c.k);
  if (c.form.gate !== 'none') {
    v = v.map((g, i) => {
      const a = c.form.gate === 'relu2' ? f(Math.max(g, 0) * Math.max(g, 0)) : f(g / f(1 + Math.exp(-g)));
      return f(a * x[c.k + i]);
    });
  }
  const h = c.form.norm ? rmsNorm(v, normWeight, 1e-5) : v;
  const ties = new RoundingTies();
  const { q, scale } = quantizeRows(h, 1, c.k, ties);
  const y = bitLinearOutput(ternaryAccumulators(q, w, 1, c.n, c.k), scale, rowScale, 1, c.n);
  return { y, scale: scale[0], ties: ties.nearest(MAX_TIES) };
}

/** The most rounding ties of one row whose flips checkFusedCase tries (random rows have none or one). */
const MAX_TIES = 6;

/**
 * Whether accumulator differences `steps` (GPU minus CPU, one per output row) are what rounding
 * some of `ties` the other way gives: each flipped column moves row r by its weight there.
 */
function explainedByTieFlips(steps: readonly number[], ties: readonly Tie[], w: Int8Array, k: number): boolean {
  for (let flips = 0; flips < 2 ** ties.length; flips++) {
    const chosen = ties.filter((_, i) => (flips >> i) & 1);
    const explains = steps.every((step, r) => {
      let moved = 0;
      for (const t of chosen) moved += otherRounding(t.value) * w[r * k + t.col];
      return step === moved;
    });
    if (explains) return true;
  }
  return false;
}

async function checkFusedCase(ctx: GpuContext, c: FusedCase): Promise<void> {
  const { device } = ctx;
  const what = `${c.form.gate}/${c.form.norm ? 'norm' : 'no norm'} n=${c.n} k=${c.k}`;
  const rand = seededRandom(c.seed);
  const w = randomTernary(rand, c.n * c.k);
  const x = randomNormalish(rand, (c.form.gate === 'none' ? 1 : 2) * c.k, 3);
  const normWeight = Float32Array.from({ length: c.k }, () => 0.25 + rand() * 2);
  const rowScale = Float32Array.from({ length: c.n }, () => 0.5 + rand() * 3);
  const outOffset = c.outOffset ?? 0;
  const before = Float32Array.from({ length: outOffset + c.n }, () => rand() * 4 - 2);
  const weights = uploadTernaryWeights(device, 'w', packTernary(w, c.n, c.k), rowScale, c.n, c.k, c.maxBindingBytes);
  const xBuf = createStorageBuffer(device, 'x', x);
  const normBuf = createStorageBuffer(device, 'normWeight', normWeight);
  const y = createStorageBuffer(device, 'y', before);
  const kernel = new NormQuantizeGemvKernel(device, c.form, c.k, gemvSubgroupLanes(ctx.caps)!);
  await kernelsReady(device);
  const norm = c.form.norm ? { weight: normBuf, eps: 1e-5 } : undefined;
  const dispatches = kernel.prepare({ x: xBuf, norm, weights, y, outOffset, accumulate: c.accumulate });
  check(dispatches.length === weights.parts.length, `${what}: one dispatch per weight part`);
  if (c.strides) {
    const plan = normQuantizeGemvPlan(device, c.k, gemvSubgroupLanes(ctx.caps)!);
    const rowsPerSweep = dispatches[0].workgroups[0] * (typeof plan === 'string' ? 0 : plan.WG / plan.LANES);
    check(
      rowsPerSweep < c.n,
      `${what}: ${dispatches[0].workgroups[0]} workgroups cover every row at once: nothing strides`,
    );
  }
  submitDispatches(device, dispatches);
  const out = new Float32Array(await readBuffer(device, y));
  for (const b of [xBuf, normBuf, y]) b.destroy();
  const expected = fusedReference(c, x, normWeight, w, rowScale);
  checkEqualArrays(out.subarray(0, outOffset), before.subarray(0, outOffset), `${what}: y before outOffset`);
  // The difference in accumulator units (y = acc / (scale * rowScale)): a whole number, up to the
  // float error of y, and zero but where a value on a rounding tie was quantized the other way.
  const steps = Array.from({ length: c.n }, (_, r) => {
    const got = out[outOffset + r] - (c.accumulate ? before[outOffset + r] : 0);
    const units = expected.scale * rowScale[r];
    const step = (got - expected.y[r]) * units;
    const floatError = 0.05 + 2e-6 * Math.abs(expected.y[r] * units);
    check(
      Math.abs(step - Math.round(step)) <= floatError,
      `${what}: y[${r}] is ${out[outOffset + r]}, expected ${expected.y[r]}${c.accumulate ? ` + ${before[outOffset + r]}` : ''}: ${step.toFixed(3)} accumulator steps apart, not a whole number`,
    );
    return Math.round(step);
  });
  check(
    explainedByTieFlips(steps, expected.ties, w, c.k),
    `${what}: the accumulators differ from the CPU's (rows ${steps.flatMap((s, r) => (s ? [r] : [])).slice(0, 5)}: ${steps.filter(Boolean).slice(0, 5)} steps) where no rounding tie explains it (${expected.ties.length} ties)`,
  );
}

function variantsOf(ctx: GpuContext): TernaryDotVariant[] {
  return ctx.caps.dot4I8Packed ? ['addsub', 'dot4'] : ['addsub'];
}

export const kernelChecks: NamedCheck[] = [
  {
    name: 'ternary GEMV and GEMM (every form the adapter has) match the CPU reference (accumulators bit-exact) for awkward shapes',
    async run(ctx) {
      for (const variant of variantsOf(ctx)) {
        for (const c of CASES) {
          if (c.m > 1) for (const gemm of GEMM_LAYOUTS) await checkCase(ctx, c, variant, { ...DEFAULT_FORMS, gemm });
          else for (const gemv of gemvFormsOf(ctx)) await checkCase(ctx, c, variant, { ...DEFAULT_FORMS, gemv });
        }
      }
    },
  },
  {
    name: 'the fused decode GEMV (act, RMSNorm and quantization in its prologue) matches the CPU reference',
    async run(ctx) {
      if (gemvSubgroupLanes(ctx.caps) === undefined || !ctx.caps.dot4I8Packed) return;
      for (const c of FUSED_CASES) await checkFusedCase(ctx, c);
      // bad calls are refused before any GPU work, naming the kernel, the matrix or the buffer
      const { device } = ctx;
      const lanes = gemvSubgroupLanes(ctx.caps)!;
      const normed = { gate: 'none', norm: true } as const;
      const weights = uploadTernaryWeights(
        device,
        'layer.o',
        packTernary(new Int8Array(256), 4, 64),
        new Float32Array(4).fill(1),
        4,
        64,
      );
      const ok = createStorageBuffer(device, 'ok', 4096);
      const small = createStorageBuffer(device, 'small', 8);
      const norm = { weight: ok, eps: 1e-5 };
      await checkRejects(
        () => new NormQuantizeGemvKernel(device, normed, 128, lanes).prepare({ x: ok, norm, weights, y: ok }),
        'InvalidArgumentError',
        /normQuantizeGemv\.128: layer\.o has 64 input columns, compiled for 128/,
      );
      await checkRejects(
        () => new NormQuantizeGemvKernel(device, normed, 64, lanes).prepare({ x: ok, weights, y: ok }),
        'InvalidArgumentError',
        /a norm's weight must be given exactly when the kernel normalizes \(it does\)/,
      );
      await checkRejects(
        () =>
          new NormQuantizeGemvKernel(device, { gate: 'relu2', norm: false }, 64, lanes).prepare({
            x: small,
            weights,
            y: ok,
          }),
        'InvalidArgumentError',
        /buffer x \(small\) holds 8 bytes, 512 are needed/,
      );
      await kernelsReady(device);
      for (const b of [ok, small]) b.destroy();
    },
  },
  {
    name: "the fused decode GEMV's grid: wide inputs get 132 workgroups of 512 threads where the device allows them, others 256 of 256",
    async run() {
      const device = (invocations: number, storage: number) =>
        ({
          limits: {
            maxComputeInvocationsPerWorkgroup: invocations,
            maxComputeWorkgroupSizeX: invocations,
            maxComputeWorkgroupStorageSize: storage,
          },
        }) as GPUDevice;
      const grid = (d: GPUDevice, cols: number) => {
        const plan = normQuantizeGemvPlan(d, cols, 32);
        return typeof plan === 'string' ? plan : `${plan.maxWorkgroups} x ${plan.WG}`;
      };
      const large = device(1024, 32768);
      for (const [cols, want] of [
        [2560, '256 x 256'],
        [6143, '256 x 256'],
        [6144, '132 x 512'],
        [27648, '132 x 512'],
      ] as const) {
        check(grid(large, cols) === want, `${cols} columns: ${want}, got ${grid(large, cols)}`);
      }
      check(grid(device(256, 32768), 10240) === '256 x 256', 'workgroups of at most 256: the usual grid');
      // 13,000 columns with 512 threads would need 17,096 bytes of workgroup memory
      check(grid(device(1024, 16384), 13000) === '256 x 256', '16 KiB of workgroup memory: the usual grid');
    },
  },
  {
    name: 'a matrix split over several bindings gives the same result as one binding',
    async run(ctx) {
      const c: Case = { m: 1, n: 100, k: 300, seed: 21, maxBindingBytes: 7 * 5 * 16 };
      for (const variant of variantsOf(ctx)) {
        const split = await runOnGpu(ctx, c, variant, false);
        check(split.weights.parts.length === 15, `expected 15 parts of 7 rows, got ${split.weights.parts.length}`);
        const whole = await runOnGpu(ctx, { ...c, maxBindingBytes: undefined }, variant, false);
        checkEqualArrays(new Float32Array(split.out), new Float32Array(whole.out), `${variant}: split vs whole`);
        for (const gemm of GEMM_LAYOUTS) await checkCase(ctx, { ...c, m: 9 }, variant, { ...DEFAULT_FORMS, gemm });
      }
    },
  },
  {
    name: "Hugging Face's packed [out/4, in] layout repacks to the same products",
    async run(ctx) {
      const c: Case = { m: 3, n: 96, k: 80, seed: 31 };
      const { w } = makeInput(c);
      const hf = new Uint8Array((c.n / 4) * c.k);
      const quarter = c.n / 4;
      for (let r = 0; r < c.n; r++) {
        for (let col = 0; col < c.k; col++)
          hf[(r % quarter) * c.k + col] |= (w[r * c.k + col] + 1) << (2 * Math.floor(r / quarter));
      }
      const viaHf = await runOnGpu(ctx, c, 'addsub', true, repackHuggingFaceTernary(hf, c.n, c.k));
      const direct = await runOnGpu(ctx, c, 'addsub', true);
      checkEqualArrays(new Int32Array(viaHf.out), new Int32Array(direct.out), 'HF repack vs direct pack');
    },
  },
  {
    name: 'argmax gives the first largest logit wherever it lies (ties, first and last index, odd lengths, an offset row)',
    async run(ctx) {
      const { device } = ctx;
      const kernel = new ArgmaxKernel(device);
      const cases: { n: number; offset: number; peaks: number[] }[] = [
        { n: 128256, offset: 0, peaks: [70001, 90000] },
        { n: 128256, offset: 0, peaks: [128255] },
        { n: 128256, offset: 0, peaks: [0, 5] },
        // 1,024 apart: the same thread sees all three, in one chunk and in later ones
        { n: 128256, offset: 0, peaks: [2055 + 1024 * 40, 2055 + 1024 * 3, 2055] },
        { n: 517, offset: 300, peaks: [516] },
        { n: 33, offset: 7, peaks: [6, 5] },
      ];
      for (const [i, c] of cases.entries()) {
        const rand = seededRandom(40 + i);
        const logits = Float32Array.from({ length: c.offset + c.n + 64 }, () => rand() * 20 - 10);
        for (const p of c.peaks) logits[c.offset + p] = 50;
        logits[c.offset + c.n] = 99; // past the row: must be ignored
        const genIndex = 3;
        const ids = createStorageBuffer(device, 'ids', 16);
        const generated = createStorageBuffer(device, 'generated', 32);
        const step = createUniformBuffer(device, 'step', new Uint32Array([0, genIndex, 0, 0]));
        await kernelsReady(device);
        const logitsBuffer = createStorageBuffer(device, 'logits', logits);
        submitDispatches(
          device,
          kernel.prepare({ step, logits: logitsBuffer, ids, generated, n: c.n, offset: c.offset }),
        );
        const expected = Math.min(...c.peaks);
        const id = new Uint32Array(await readBuffer(device, ids))[0];
        const recorded = new Uint32Array(await readBuffer(device, generated))[genIndex];
        check(
          id === expected && recorded === expected,
          `argmax of ${c.n} logits at offset ${c.offset} with peaks at ${c.peaks}: got ${id} (history ${recorded}), expected ${expected}`,
        );
      }
    },
  },
  {
    name: 'bad shapes and sizes are refused with clear errors before any GPU work',
    async run(ctx) {
      const { device } = ctx;
      const kernels = matmulKernels(ctx, 'addsub', false);
      const quant = new QuantizeActivationsKernel(device);
      await checkRejects(
        () => uploadTernaryWeights(device, 'layer.q', new Uint32Array(0), new Float32Array(0), 4, 0),
        'InvalidArgumentError',
        /layer\.q.*positive integer rows and cols.*4 x 0/,
      );
      await checkRejects(
        () => uploadTernaryWeights(device, 'layer.k', new Uint32Array(10), new Float32Array(4), 4, 64),
        'InvalidArgumentError',
        /layer\.k: packed weights hold 10 words.*needs 16/,
      );
      await checkRejects(
        () => uploadTernaryWeights(device, 'layer.v', new Uint32Array(16), new Float32Array(3), 4, 64),
        'InvalidArgumentError',
        /3 row scales for 4 rows/,
      );
      await checkRejects(
        () => uploadTernaryWeights(device, 'big', new Uint32Array(16), new Float32Array(4), 4, 64, 8),
        'GpuLimitError',
        /big: one row \(16 bytes\) exceeds the storage binding limit of 8 bytes/,
      );
      const weights = uploadTernaryWeights(
        device,
        'w',
        packTernary(new Int8Array(4 * 64), 4, 64),
        new Float32Array(4).fill(1),
        4,
        64,
      );
      const small = createStorageBuffer(device, 'small', 8);
      const ok = createStorageBuffer(device, 'ok', 4096);
      await checkRejects(
        () => kernels.prepare({ weights, xq: small, xScale: ok, y: ok, m: 1 }),
        'InvalidArgumentError',
        /buffer xq \(small\) holds 8 bytes, 64 are needed/,
      );
      await checkRejects(
        () => kernels.prepare({ weights, xq: ok, xScale: ok, y: ok, m: 0 }),
        'InvalidArgumentError',
        /token count must be a positive integer/,
      );
      await checkRejects(
        () => kernels.prepare({ weights, xq: ok, xScale: ok, y: ok, m: 1, outStride: 4, outOffset: 2 }),
        'InvalidArgumentError',
        /4 output rows at offset 2/,
      );
      await checkRejects(
        () =>
          new TernaryMatmulKernels(device, 'addsub', { maxCols: 32 }).prepare({
            weights,
            xq: ok,
            xScale: ok,
            y: ok,
            m: 1,
          }),
        'InvalidArgumentError',
        /w: 64 input columns, the kernels were built for at most 32/,
      );
      for (const subgroupLanes of [3, 64, 0]) {
        await checkRejects(
          () => new TernaryMatmulKernels(device, 'addsub', { subgroupLanes }),
          'InvalidArgumentError',
          new RegExp(`subgroupLanes must be a power of two in 1\\.\\.32, got ${subgroupLanes}`),
        );
      }
      await checkRejects(
        () =>
          new NormQuantizeKernel(device, { gate: 'none', norm: true }, 32).prepare({
            x: ok,
            norm: { weight: ok, eps: 1e-5 },
            xq: ok,
            xScale: ok,
            rows: 1,
            cols: 64,
          }),
        'InvalidArgumentError',
        /normQuantize: 64 columns, compiled for at most 32/,
      );
      await checkRejects(
        () => quant.prepare({ x: ok, xq: ok, xScale: ok, rows: 1, cols: 0 }),
        'InvalidArgumentError',
        /cols=0/,
      );
      await checkRejects(
        () => quant.prepare({ x: small, xq: ok, xScale: ok, rows: 1, cols: 64 }),
        'InvalidArgumentError',
        /buffer x \(small\) holds 8 bytes, 256 are needed/,
      );
      // An invalid shader is reported as a typed error naming the kernel, not only on the console.
      new ComputeKernel(device, 'brokenKernel', '@compute @workgroup_size(1) fn main() { let x: u32 = -1.5; }');
      await checkRejects(() => kernelsReady(device), 'ShaderError', /kernel brokenKernel is invalid on this adapter/);
      await kernelsReady(device); // the failure was reported once and cleared
    },
  },
  {
    name: 'a kernel binds buffers by their WGSL names; an unknown or missing name is a ShaderError',
    async run(ctx) {
      const { device } = ctx;
      // dst is declared first: binding by position would swap the two
      const kernel = new ComputeKernel(
        device,
        'copyByName',
        [
          '@group(0) @binding(0) var<storage, read_write> dst: array<u32>;',
          '@group(0) @binding(1) var<storage, read> src: array<u32>;',
          '@compute @workgroup_size(4) fn main(@builtin(local_invocation_index) i: u32) { dst[i] = src[i]; }',
        ].join('\n'),
      );
      await kernelsReady(device);
      const offset = device.limits.minStorageBufferOffsetAlignment;
      const values = Uint32Array.from({ length: offset / 4 + 4 }, (_, i) => i + 7);
      const src = createStorageBuffer(device, 'src', values);
      const dst = createStorageBuffer(device, 'dst', 16);
      await checkRejects(
        () => kernel.bind({ src, dst, extra: dst }),
        'ShaderError',
        /kernel copyByName: it declares no binding extra \(its bindings: dst, src\)/,
      );
      await checkRejects(
        () => kernel.bind({ src }),
        'ShaderError',
        /kernel copyByName: nothing given for dst \(its bindings: dst, src\)/,
      );
      // a range of a buffer binds as well: src from `offset` bytes on
      const bindGroup = kernel.bind({ src: { buffer: src, offset }, dst });
      submitDispatches(device, [{ kernel, bindGroup, workgroups: [1, 1, 1] }]);
      checkEqualArrays(
        new Uint32Array(await readBuffer(device, dst)),
        values.subarray(offset / 4),
        'dst after the copy',
      );
      for (const b of [src, dst]) b.destroy();
    },
  },
];
