// The kernels of a model's passes, compiled one family at a time so loading can report each.
import type { GpuContext } from '../gpu/context.ts';
import { kernelsReady } from '../gpu/computeKernel.ts';
import {
  TernaryMatmulKernels,
  defaultGemmLayout,
  defaultGemvLayout,
  defaultTernaryVariant,
  gemvSubgroupLanes,
  type GemmLayout,
  type GemvLayout,
  type TernaryDotVariant,
} from '../kernels/ternaryMatmul.ts';
import { DenseLinearKernels } from '../kernels/denseLinear.ts';
import { NormQuantizeKernel, type QuantizeForm } from '../kernels/normQuantize.ts';
import { NormQuantizeGemvKernel, normQuantizeGemvPlan } from '../kernels/normQuantizeGemv.ts';
import { RmsNormKernel } from '../kernels/rmsNorm.ts';
import { EmbedLookupKernel } from '../kernels/embedLookup.ts';
import {
  AttentionKernels,
  attentionDecodeSlices,
  attentionPromptLanes,
  decodeSplitsFor,
} from '../kernels/attention.ts';
import { LmHeadKernel } from '../kernels/lmHead.ts';
import { ArgmaxKernel } from '../kernels/argmax.ts';
import { SampleKernel } from '../kernels/sample.ts';
import type { EmbeddingFormat } from '../weights/formats.ts';
import type { LinearFormat } from '../weights/formats.ts';
import type { ModelDescription } from './description.ts';
import type { GpuCapabilities } from '../gpu/context.ts';
import { InvalidArgumentError } from '../errors.ts';

/** What a decode step's linear reads: the hidden state (q|k|v, gate|up), the attention output (o_proj), the MLP's [gate | up] (down_proj). */
export type DecodeLinearInput = 'hidden' | 'attention' | 'mlp';

export interface ModelKernels {
  matmul: TernaryMatmulKernels;
  /** Only for the f32 baseline. */
  denseLinear?: DenseLinearKernels;
  /** RMSNorm + quantization of a linear's input: the input norms, the attention sub-norm, use_rms_norm's norms. */
  norm: NormQuantizeKernel;
  /** Quantization alone: the attention output where nothing normalizes it (llama without use_rms_norm). */
  quantize?: NormQuantizeKernel;
  /** act(gate) * up, then (sub-norm or use_rms_norm) an RMSNorm, then quantization: down_proj's input. */
  gated: NormQuantizeKernel;
  /**
   * A decode step's linears with their input's norm and quantization in the same dispatch, by what
   * they read; absent (or one input absent: its rows do not fit the kernel) where not in use.
   */
  decodeLinears?: Partial<Record<DecodeLinearInput, NormQuantizeGemvKernel>>;
  /** Float RMSNorm: the final norm, and with use_rms_norm each input norm (each linear normalizes again). */
  rmsNorm: RmsNormKernel;
  embed: EmbedLookupKernel;
  attention: AttentionKernels;
  lmHead: LmHeadKernel;
  argmax: ArgmaxKernel;
  sample: SampleKernel;
}

/** The choices the kernels are compiled for; unset ones take the adapter's defaults. */
export interface KernelChoices {
  variant?: TernaryDotVariant;
  gemvLayout?: GemvLayout;
  gemmLayout?: GemmLayout;
  linearFormat?: LinearFormat;
  embeddingFormat: EmbeddingFormat;
  lmHeadFormat: EmbeddingFormat;
  /** The most tokens a pass attends over: sets the key spans of a decode step's attention (decodeSplitsFor). */
  contextLength: number;
  /**
   * Decode steps run the one-token kernels: each linear fused with its input's quantization, and
   * attention over subgroups (attentionDecode.wgsl); default: on GPU adapters that can.
   */
  fusedDecode?: boolean;
}

/** Why the adapter cannot run the fused decode linears (normQuantizeGemv.wgsl), or undefined if it can. */
export function fusedDecodeMissing(caps: GpuCapabilities): string | undefined {
  if (gemvSubgroupLanes(caps) === undefined) return 'subgroups with subgroup_id and a known smallest subgroup size';
  if (!caps.dot4I8Packed) return 'WGSL dot4I8Packed (packed_4x8_integer_dot_product)';
  return undefined;
}

/** The fused decode linears for each input whose rows fit the kernel on this device. */
function decodeLinearKernels(ctx: GpuContext, c: ModelDescription, outputsNormalized: boolean) {
  const lanes = gemvSubgroupLanes(ctx.caps)!;
  const fused = (form: QuantizeForm, cols: number) =>
    typeof normQuantizeGemvPlan(ctx.device, cols, lanes) === 'string'
      ? undefined
      : new NormQuantizeGemvKernel(ctx.device, form, cols, lanes);
  const hidden = fused({ gate: 'none', norm: true }, c.hiddenSize);
  const qDim = c.numHeads * c.headDim;
  // o_proj reads a normalized row as wide as the hidden state in most families: the same kernel
  const attention =
    outputsNormalized && qDim === c.hiddenSize ? hidden : fused({ gate: 'none', norm: outputsNormalized }, qDim);
  return { hidden, attention, mlp: fused({ gate: c.mlpActivation, norm: outputsNormalized }, c.intermediateSize) };
}

/**
 * Compiles every kernel family the model's passes use, waiting for each to be known valid before
 * the next (browsers compile in the GPU process, Dawn in Node while creating the pipeline), so
 * `onCompiled(done, total)` follows the real work. Throws the first ShaderError.
 */
export async function compileModelKernels(
  ctx: GpuContext,
  c: ModelDescription,
  choices: KernelChoices,
  onCompiled?: (done: number, total: number) => void,
): Promise<ModelKernels> {
  const { device, caps } = ctx;
  const qDim = c.numHeads * c.headDim;
  const gemvLayout = choices.gemvLayout ?? defaultGemvLayout(caps);
  // o_proj's and down_proj's inputs are normalized by a sub-norm or by the linear's own norm, or neither
  const outputsNormalized = c.subNorms || c.linearNormEps !== null;
  const missing = fusedDecodeMissing(caps);
  if (choices.fusedDecode && missing)
    throw new InvalidArgumentError(`fusedDecode: this adapter (${caps.adapterName}) lacks ${missing}`);
  const fusedDecode = (choices.fusedDecode ?? !caps.cpuAdapter) && !missing;
  // In the order a pass first uses them; the f32 baseline's linear kernels only where asked for.
  const builders: { [K in keyof ModelKernels]: () => ModelKernels[K] } = {
    embed: () => new EmbedLookupKernel(device, choices.embeddingFormat),
    norm: () => new NormQuantizeKernel(device, { gate: 'none', norm: true }, Math.max(c.hiddenSize, qDim)),
    matmul: () =>
      new TernaryMatmulKernels(device, choices.variant ?? defaultTernaryVariant(caps), {
        gemvLayout,
        gemmLayout: choices.gemmLayout ?? defaultGemmLayout(caps),
        maxCols: Math.max(c.hiddenSize, qDim, c.intermediateSize),
        subgroupLanes: gemvSubgroupLanes(caps),
      }),
    ...(choices.linearFormat === 'f32' ? { denseLinear: () => new DenseLinearKernels(device) } : {}),
    attention: () => {
      const decodeSlices = fusedDecode ? attentionDecodeSlices(caps, c.headDim) : undefined;
      return new AttentionKernels(
        device,
        { qHeads: c.numHeads, kvHeads: c.numKvHeads, headDim: c.headDim },
        {
          maxSplits: decodeSplitsFor(choices.contextLength, decodeSlices),
          decodeSlices,
          promptLanes: attentionPromptLanes(caps, c.headDim),
        },
      );
    },
    ...(fusedDecode ? { decodeLinears: () => decodeLinearKernels(ctx, c, outputsNormalized) } : {}),
    ...(outputsNormalized
      ? {}
      : { quantize: () => new NormQuantizeKernel(device, { gate: 'none', norm: false }, qDim) }),
    gated: () => new NormQuantizeKernel(device, { gate: c.mlpActivation, norm: outputsNormalized }, c.intermediateSize),
    rmsNorm: () => new RmsNormKernel(device),
    lmHead: () => new LmHeadKernel(device, c.hiddenSize, gemvLayout, choices.lmHeadFormat),
    argmax: () => new ArgmaxKernel(device),
    sample: () => new SampleKernel(device),
  };
  const names = Object.keys(builders) as (keyof ModelKernels)[];
  const kernels = {} as ModelKernels;
  for (const [i, name] of names.entries()) {
    Object.assign(kernels, { [name]: builders[name]!() });
    await kernelsReady(device);
    onCompiled?.(i + 1, names.length);
  }
  return kernels;
}
