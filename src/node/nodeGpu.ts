import { existsSync } from 'node:fs';
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.ts';
import { WebGpuUnavailableError } from '../errors.ts';
import { withoutDawnLimitWarnings } from './dawnStderr.ts';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver (a CPU implementation). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

// Dawn instances must outlive every adapter and device made from them: once collected, the
// binding keeps polling a destroyed instance and the process dies at random. Never released; one
// per set of Dawn flags.
const liveDawnInstances = new Map<string, GPU>();

/**
 * Dawn's safety work that disableSafetyChecks turns off (Dawn's toggle names): API validation, the
 * bounds checks added to every shader access (robustness), and the zeroing of workgroup memory and
 * of resources on first use.
 */
const SAFETY_OFF_FLAGS = [
  'enable-dawn-features=skip_validation,disable_robustness,disable_workgroup_init',
  'disable-dawn-features=lazy_clear_resource_on_first_use',
];

/** A GPU context in Node: the browser's options, plus Dawn's own switches. */
export interface NodeGpuOptions extends GpuContextOptions {
  /**
   * For trusted models only: runs without Dawn's validation, shader bounds checks and resource
   * zeroing (2B-4T on an H200 decoded 381 -> 444 tokens/s in an earlier measurement). The
   * guarantees for hostile model files (a crafted shape or file can only fail with a typed error)
   * rely on those checks: without them an out-of-bounds access reads or corrupts other GPU memory.
   * Browsers always keep them on. Default false.
   */
  disableSafetyChecks?: boolean;
}

/**
 * Chooses the Vulkan driver before Dawn loads: an explicit VK_ICD_FILENAMES / VK_DRIVER_FILES wins,
 * then any system driver (a real GPU, or Mesa's lavapipe), then SwiftShader from the chromium package.
 */
function chooseVulkanDriver(): void {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return;
  const hasSystemDriver = SYSTEM_ICD_DIRS.some((dir) => existsSync(dir));
  if (!hasSystemDriver && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/** The `webgpu` package's GPU object (Dawn) for these flags, kept alive for the life of the process. */
export async function getNodeGpu(flags: readonly string[] = []): Promise<GPU> {
  const key = flags.join(' ');
  const live = liveDawnInstances.get(key);
  if (live) return live;
  chooseVulkanDriver();
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (cause) {
    throw new WebGpuUnavailableError('WebGPU in Node needs the `webgpu` package (Dawn): run `npm install webgpu`.', {
      cause,
    });
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([...flags]);
  liveDawnInstances.set(key, gpu);
  // Dawn discovers the adapters once per instance, on the first request: make that one quietly.
  // A failure here is the real request's to report.
  await withoutDawnLimitWarnings(() => gpu.requestAdapter()).catch(() => null);
  return gpu;
}

/** A GPU context in Node. Without any GPU driver it says which packages supply a CPU one. */
export async function createNodeGpuContext(options: NodeGpuOptions = {}): Promise<GpuContext> {
  const { disableSafetyChecks = false, ...contextOptions } = options;
  const gpu = await getNodeGpu(disableSafetyChecks ? SAFETY_OFF_FLAGS : []);
  try {
    return await createGpuContext(gpu, contextOptions);
  } catch (err) {
    if (err instanceof WebGpuUnavailableError) {
      throw new WebGpuUnavailableError(
        `${err.message} Dawn found no usable Vulkan driver. On Debian/Ubuntu without a GPU: ` +
          '`apt-get install chromium libvulkan1` (SwiftShader) or Mesa 25 `mesa-vulkan-drivers` (lavapipe); ' +
          'or point VK_ICD_FILENAMES at a driver .json.',
        { cause: err },
      );
    }
    throw err;
  }
}
