// Runs the schedule: each pass's dispatches are built once per (m, output) and replayed, one
// submission per pass, with the tokens appended at the cache position.
import { recordPass, type Dispatch } from '../gpu/computeKernel.ts';
import { buildPass, type PassInputs, type PassOutput } from './schedule.ts';

/** Passes kept built: a request uses a few (full prompt chunks, its last chunk, the decode step); each prompt length adds one. */
const MAX_CACHED_PASSES = 8;

export class PassRunner {
  /** Tokens currently in the KV cache. */
  position = 0;
  private readonly passes = new Map<string, Dispatch[]>();

  /** `beforePass` runs first in every `run` (it throws once the model can no longer be used). */
  constructor(
    private readonly device: GPUDevice,
    /** Prompt tokens per prefill pass. */
    readonly prefillChunk: number,
    private readonly inputs: PassInputs,
    private readonly beforePass: () => void,
  ) {}

  /** The recorded dispatches of a pass of `m` tokens, built on first use. */
  dispatches(m: number, output: PassOutput): Dispatch[] {
    const key = `${m}:${output}`;
    let list = this.passes.get(key);
    if (list) return list;
    if (this.passes.size >= MAX_CACHED_PASSES) this.passes.clear();
    list = buildPass(this.inputs, m, output);
    this.passes.set(key, list);
    return list;
  }

  /** Writes the step uniform a pass at `position` reads; `genIndex` is the decode step it writes its token to. */
  writeStep(position: number, genIndex: number): void {
    this.device.queue.writeBuffer(this.inputs.buffers.working.step, 0, new Uint32Array([position, genIndex, 0, 0]));
  }

  /**
   * Submits one pass over `ids` (or, for null, the token the previous step left on the GPU) at the
   * current position, and advances it. With `readback`, the token of decode step `genIndex` is
   * copied there by the same submission.
   */
  run(ids: readonly number[] | null, output: PassOutput, genIndex = 0, readback?: GPUBuffer): void {
    this.beforePass();
    const m = ids ? ids.length : 1;
    const { device } = this;
    const { working } = this.inputs.buffers;
    if (ids) device.queue.writeBuffer(working.ids, 0, new Uint32Array(ids));
    this.writeStep(this.position, genIndex);
    const encoder = device.createCommandEncoder();
    recordPass(encoder, this.dispatches(m, output));
    if (readback) encoder.copyBufferToBuffer(working.generated, genIndex * 4, readback, 0, 4);
    device.queue.submit([encoder.finish()]);
    this.position += m;
  }
}
