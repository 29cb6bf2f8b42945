// The anatomy of a decode step on any GPU context (Node's Dawn or a browser's WebGPU): CPU time to
// record and to submit the step's dispatches, GPU time with steps queued back to back, the same
// number of the cheapest dependent dispatch (the floor any schedule of that many dispatches pays),
// and the real decode loop's time per step. Used by tools/profilePass.ts and the benchmark page.
import type { GpuContext } from '../../src/gpu/context.ts';
import type { BitNetModel } from '../../src/model/bitnetModel.ts';
import { ComputeKernel, kernelsReady, recordPass, type Dispatch } from '../../src/gpu/computeKernel.ts';
import { createStorageBuffer } from '../../src/gpu/buffers.ts';
import floorSource from './dependentDispatch.wgsl?raw';

/** Milliseconds per step. */
export interface StepCost {
  record: number;
  submit: number;
  gpu: number;
}

export interface StepAnatomy {
  adapter: string;
  dispatches: number;
  /** The model's pass, median of 5 runs of `steps` passes queued together. */
  pass: StepCost;
  /** As many trivial dependent dispatches as the pass has. */
  floor: StepCost;
  /** `generate` (one submission per step, ids read back while later steps run), ms per step; m = 1 only. */
  decodeLoop?: number;
}

/**
 * The dispatches of a pass of `m` tokens at cache position `keys` (a decode step ends in argmax,
 * a prompt pass in the last logits), ready to be replayed; the cache is left as it is.
 */
export function passAtKeys(model: BitNetModel, m: number, keys: number): readonly Dispatch[] {
  return model.profiling.passAt(m, m === 1 ? 'argmax' : 'last', keys);
}

/**
 * Fills half of the model's `context` (so attention does realistic work) and returns the
 * dispatches of a pass of `m` tokens at that position, ready to be replayed.
 */
export async function passAtHalfContext(model: BitNetModel, m: number, context: number): Promise<readonly Dispatch[]> {
  await model.logits(Array.from({ length: context / 2 }, (_, i) => i % model.config.vocabSize));
  return passAtKeys(model, m, context / 2);
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

/**
 * The cost of `list` as one pass, 20 passes recorded (a command buffer each) and submitted
 * together, median of 5 runs: ms per pass to record, to submit, and of GPU time.
 */
export async function queuedPassCost(device: GPUDevice, list: readonly Dispatch[]): Promise<StepCost> {
  async function queued(steps: number): Promise<StepCost> {
    const t0 = performance.now();
    const buffers: GPUCommandBuffer[] = [];
    for (let i = 0; i < steps; i++) {
      const encoder = device.createCommandEncoder();
      recordPass(encoder, list);
      buffers.push(encoder.finish());
    }
    const t1 = performance.now();
    device.queue.submit(buffers);
    const t2 = performance.now();
    await device.queue.onSubmittedWorkDone();
    const t3 = performance.now();
    return { record: (t1 - t0) / steps, submit: (t2 - t1) / steps, gpu: (t3 - t2) / steps };
  }
  await queued(2);
  const runs: StepCost[] = [];
  for (let r = 0; r < 5; r++) runs.push(await queued(20));
  const [record, submit, gpu] = (['record', 'submit', 'gpu'] as const).map((k) => median(runs.map((x) => x[k])));
  return { record, submit, gpu };
}

/** Measures `dispatches` (from passAtHalfContext with the same `m` and `context`) as a step. */
export async function measureStepAnatomy(
  ctx: GpuContext,
  model: BitNetModel,
  dispatches: readonly Dispatch[],
  m: number,
  context: number,
): Promise<StepAnatomy> {
  const { device } = ctx;

  const floorKernel = new ComputeKernel(device, 'dependentDispatch', floorSource);
  await kernelsReady(device);
  const counter = createStorageBuffer(device, 'counter', 4);
  const floorList: Dispatch[] = dispatches.map(() => ({
    kernel: floorKernel,
    bindGroup: floorKernel.bind({ counter }),
    workgroups: [1, 1, 1],
  }));
  const result: StepAnatomy = {
    adapter: ctx.caps.adapterName,
    dispatches: dispatches.length,
    pass: await queuedPassCost(device, dispatches),
    floor: await queuedPassCost(device, floorList),
  };
  counter.destroy();
  if (m === 1) {
    // From the same cache position: what the loop adds to recording and submitting is its own cost.
    const loop: number[] = [];
    for (let r = 0; r < 5; r++) {
      model.truncate(context / 2 - 1);
      const t0 = performance.now();
      await model.generate([1], 128, { stopIds: [], lookahead: 7 });
      loop.push((performance.now() - t0) / 128);
    }
    result.decodeLoop = median(loop);
  }
  return result;
}

/** The anatomy as the lines profilePass prints. */
export function stepAnatomyLines(a: StepAnatomy): string[] {
  const line = (name: string, c: StepCost) =>
    `${name}, 20 passes queued together, per pass (median of 5): record ${c.record.toFixed(3)} ms, submit ${c.submit.toFixed(3)} ms, ` +
    `GPU ${c.gpu.toFixed(3)} ms (${((c.gpu * 1000) / a.dispatches).toFixed(2)} us per dispatch)`;
  const lines = [
    `step anatomy on ${a.adapter}: ${a.dispatches} dispatches`,
    line('this pass', a.pass),
    line(`${a.dispatches} dependentDispatch.wgsl`, a.floor),
  ];
  if (a.decodeLoop !== undefined)
    lines.push(`decode loop (generate, 128 greedy tokens), per step (median of 5): ${a.decodeLoop.toFixed(3)} ms`);
  return lines;
}
