import { GpuLimitError, InvalidArgumentError } from '../errors.ts';

/** A storage buffer, optionally filled with `data`; sizes round up to 4 bytes as WebGPU requires. */
export function createStorageBuffer(device: GPUDevice, label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
  const byteLength = typeof sizeOrData === 'number' ? sizeOrData : sizeOrData.byteLength;
  if (byteLength > device.limits.maxBufferSize) {
    throw new GpuLimitError(
      `${label}: ${byteLength} bytes exceed this adapter's maxBufferSize (${device.limits.maxBufferSize})`,
    );
  }
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  // Read inside the function: in Node the GPU* globals exist only once Dawn is loaded.
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  if (typeof sizeOrData === 'number') return device.createBuffer({ label, size, usage: STORAGE });
  const buffer = device.createBuffer({ label, size, usage: STORAGE, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(
    new Uint8Array(sizeOrData.buffer, sizeOrData.byteOffset, sizeOrData.byteLength),
  );
  buffer.unmap();
  return buffer;
}

/** A uniform buffer holding `values` as 32-bit words (u32 unless given as Float32Array). */
export function createUniformBuffer(
  device: GPUDevice,
  label: string,
  values: Uint32Array<ArrayBuffer> | Float32Array<ArrayBuffer>,
): GPUBuffer {
  const size = Math.max(16, Math.ceil(values.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}

/** Copies `byteLength` bytes of `buffer` back to the CPU. Slow (a full round trip): for tests and results only. */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength = buffer.size,
  offset = 0,
): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Refuses a buffer smaller than a kernel will address (`name`: the kernel's name for it). */
export function requireSize(name: string, buffer: GPUBuffer, bytes: number): void {
  if (buffer.size < bytes) {
    throw new InvalidArgumentError(
      `buffer ${name} (${buffer.label || 'unnamed'}) holds ${buffer.size} bytes, ${bytes} are needed`,
    );
  }
}
