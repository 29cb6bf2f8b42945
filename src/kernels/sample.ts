import source from '../../shaders/sample.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';

/** What one draw reads and where it writes; buffers by their names in sample.wgsl. */
export interface SampleCall {
  /** The 32-byte uniform samplingUniform() gives (SamplingParams in sample.wgsl). */
  sampling: GPUBuffer;
  /** The per-pass uniform {pos0, genIndex} (lib/stepUniform.wgsl). */
  step: GPUBuffer;
  logits: GPUBuffer;
  /** A bitmap of the token ids seen so far (for the repetition penalty). */
  seen: GPUBuffer;
  /** ids[0] receives the drawn token. */
  ids: GPUBuffer;
  /** generated[step.genIndex] receives it too. */
  generated: GPUBuffer;
}

/** GPU sampling (sample.wgsl): penalties, temperature, top-k/top-p/min-p, seeded draw. */
export class SampleKernel {
  private readonly kernel: ComputeKernel;

  constructor(device: GPUDevice) {
    this.kernel = new ComputeKernel(device, 'sample', source);
  }

  prepare(c: SampleCall): Dispatch[] {
    const { sampling, step, logits, seen, ids, generated } = c;
    return [
      {
        kernel: this.kernel,
        bindGroup: this.kernel.bind({ sampling, step, logits, seen, ids, generated }),
        workgroups: [1, 1, 1],
      },
    ];
  }
}

/** How the next token is chosen. temperature 0 means greedy (argmax); the rest is ignored then. */
export interface SamplingParams {
  /** 0 (or anything below MIN_SAMPLING_TEMPERATURE) is greedy. */
  temperature: number;
  /** Keep the k most likely tokens (0, or k >= the vocabulary: no limit). */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches p (1: no limit). */
  topP: number;
  /** Drop tokens less likely than minP times the most likely one (0: off). */
  minP: number;
  /** transformers' repetition penalty on every token seen so far (1: off). */
  repetitionPenalty: number;
  /** Same seed, same prompt, same settings: same tokens. */
  seed: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 0 };

/**
 * Temperatures below this decode greedily, as vLLM treats them: the sampler divides the logits by
 * the temperature in float32, where 1e-45 is subnormal and 1e-50 is 0, and a temperature this small
 * leaves no token but the top one (and exact ties) any probability anyway.
 */
export const MIN_SAMPLING_TEMPERATURE = 1e-5;

export function isGreedy(s: SamplingParams): boolean {
  return s.temperature < MIN_SAMPLING_TEMPERATURE;
}

export function samplingUniform(vocab: number, s: SamplingParams): Uint32Array<ArrayBuffer> {
  const u = new Uint32Array(8);
  // top-k of the whole vocabulary or more is no limit: clamped so a k above 2^32 does not wrap
  u.set([vocab, Math.min(s.topK, vocab), s.seed >>> 0, 0]);
  new Float32Array(u.buffer).set([s.temperature, s.topP, s.minP, s.repetitionPenalty], 4);
  return u;
}
