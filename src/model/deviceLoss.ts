// A lost GPU device, seen from a loaded model: once lost, every call fails fast with
// DeviceLostError, and a read-back in flight fails with it too, whichever way the implementation
// ends pending maps.
import { DeviceLostError } from '../errors.ts';

/**
 * How long a failed read-back waits for `device.lost` before it keeps its own error: the map's
 * rejection (a bare AbortError in Dawn) and `lost` are separate events whose order WebGPU leaves
 * open. The wait ends as soon as `lost` settles (with Dawn in Node it had settled first), so only
 * a read that failed for another reason (its buffer destroyed by dispose) waits the whole bound.
 */
const LOSS_GRACE_MS = 100;

export class DeviceLossWatch {
  /** Set once the device is lost. */
  private info?: GPUDeviceLostInfo;
  /** Settles once `info` is set. */
  private readonly settled: Promise<void>;
  private readonly pendingReads = new Set<(info: GPUDeviceLostInfo) => void>();

  constructor(device: GPUDevice) {
    this.settled = device.lost.then((info) => {
      this.info = info;
      for (const fail of this.pendingReads) fail(info);
    });
  }

  /** Throws DeviceLostError once the device is lost. */
  check(): void {
    if (this.info) throw new DeviceLostError(this.info.reason, this.info.message);
  }

  /**
   * Awaits a read-back. A lost device rejects pending maps with a bare AbortError in Dawn and may
   * leave them pending in Chromium: either way the read fails with DeviceLostError. `checkFirst`
   * (by default `check`; a caller's wider usability check) runs once `work` is observed, so a read
   * refused up front leaves no unhandled rejection behind.
   */
  whileAlive<T>(work: Promise<T>, checkFirst: () => void = () => this.check()): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onLost = (info: GPUDeviceLostInfo) => reject(new DeviceLostError(info.reason, info.message));
      this.pendingReads.add(onLost);
      work.then(resolve, async (err) => {
        await this.lossWithin(LOSS_GRACE_MS);
        if (this.info) onLost(this.info);
        reject(err);
      });
      work.finally(() => this.pendingReads.delete(onLost)).catch(() => {});
      checkFirst();
    });
  }

  /** Resolves once the device is lost, or after `ms` if it is not. */
  private lossWithin(ms: number): Promise<void> {
    if (this.info) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.settled.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
