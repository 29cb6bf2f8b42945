import { GpuOutOfMemoryError, GpuValidationError } from '../errors.ts';

/**
 * Runs `work` (buffer creation and uploads) inside WebGPU error scopes. Allocation failures do not
 * throw in WebGPU: they are reported asynchronously, and the buffer silently becomes invalid. Here
 * they become GpuOutOfMemoryError / GpuValidationError, naming `what` and the bytes asked for.
 */
export async function withAllocationErrors<T>(
  device: GPUDevice,
  what: string,
  bytes: () => number,
  work: () => Promise<T>,
): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let failure: unknown;
  try {
    result = await work();
  } catch (err) {
    // mappedAtCreation of a buffer the browser cannot back throws a RangeError at once
    failure = err instanceof RangeError ? new GpuOutOfMemoryError(`${what}: ${err.message}`) : err;
  }
  const validation = await device.popErrorScope();
  const outOfMemory = await device.popErrorScope();
  const mib = (bytes() / 2 ** 20).toFixed(0);
  if (outOfMemory) {
    failure = new GpuOutOfMemoryError(
      `${what}: the GPU ran out of memory with ${mib} MiB allocated (${outOfMemory.message.split('\n')[0]}); close other GPU-heavy tabs or apps, use a shorter contextLength, or a smaller model`,
    );
  } else if (validation && !failure) {
    failure = new GpuValidationError(`${what}: WebGPU rejected a call: ${validation.message}`);
  }
  if (failure) throw failure;
  return result as T;
}
