// The hook profiling tools use (tools/profilePass.ts, tools/bench/): a loaded model's passes as
// dispatch lists to count, time and replay on their own.
import type { Dispatch } from '../gpu/computeKernel.ts';
import type { PassRunner } from './passRunner.ts';
import type { PassOutput } from './schedule.ts';

export interface PassProfiling {
  /** Compute dispatches in one pass of `m` tokens (a decode step is m = 1, ending in 'argmax'). */
  dispatchCount(m: number, output: PassOutput): number;
  /**
   * The dispatches of a pass of `m` tokens, with the step uniform set as a real pass at `position`
   * sees it. Replaying them alone leaves the uniform (and the cache position) as they are, so each
   * replay repeats the same work.
   */
  passAt(m: number, output: PassOutput, position: number): readonly Dispatch[];
}

export function passProfiling(runner: PassRunner): PassProfiling {
  return {
    dispatchCount: (m, output) => runner.dispatches(m, output).length,
    passAt: (m, output, position) => {
      runner.writeStep(position, 0);
      return runner.dispatches(m, output);
    },
  };
}
