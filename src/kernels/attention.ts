import ropeSource from '../../shaders/ropeKvWrite.wgsl?raw';
import attentionSource from '../../shaders/attention.wgsl?raw';
import { ComputeKernel, type Dispatch } from '../gpu/computeKernel.ts';
import { createUniformBuffer } from '../gpu/buffers.ts';

export interface AttentionShape {
  qHeads: number;
  kvHeads: number;
  headDim: number;
}

export interface AttentionBindings {
  /** Per-pass uniform {pos0, genIndex}, rewritten before each submission. */
  step: GPUBuffer;
  /** [tokens, (qHeads + 2 kvHeads) * headDim]: q | k | v per token. */
  qkv: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  ropeCos: GPUBuffer;
  ropeSin: GPUBuffer;
  /** [tokens, qHeads * headDim] */
  out: GPUBuffer;
  tokens: number;
}

/** RoPE + KV-cache write (ropeKvWrite.wgsl), then causal GQA attention (attention.wgsl). */
export class AttentionKernels {
  private readonly rope: ComputeKernel;
  private readonly attention: ComputeKernel;

  constructor(private readonly device: GPUDevice, readonly shape: AttentionShape) {
    this.rope = new ComputeKernel(device, 'ropeKvWrite', [ropeSource]);
    this.attention = new ComputeKernel(device, 'attention', [attentionSource]);
  }

  prepare(b: AttentionBindings): Dispatch[] {
    const { qHeads, kvHeads, headDim } = this.shape;
    const qkvStride = (qHeads + 2 * kvHeads) * headDim;
    const ropeParams = createUniformBuffer(this.device, 'ropeKvWrite.params', new Uint32Array([qHeads, kvHeads, headDim, qkvStride]));
    const attnValues = new Uint32Array([qHeads, kvHeads, headDim, qkvStride, 0, 0, 0, 0]);
    new Float32Array(attnValues.buffer)[4] = 1 / Math.sqrt(headDim);
    const attnParams = createUniformBuffer(this.device, 'attention.params', attnValues);
    return [
      {
        kernel: this.rope,
        bindGroup: this.rope.bind([ropeParams, b.step, b.qkv, b.ropeCos, b.ropeSin, b.kCache, b.vCache]),
        workgroups: [qHeads + 2 * kvHeads, b.tokens, 1],
      },
      {
        kernel: this.attention,
        bindGroup: this.attention.bind([attnParams, b.step, b.qkv, b.kCache, b.vCache, b.out]),
        workgroups: [qHeads, b.tokens, 1],
      },
    ];
  }
}
