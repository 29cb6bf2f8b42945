import { WebGpuUnavailableError } from '../errors.ts';

/** What the runtime needs to know about the adapter it runs on. */
export interface GpuCapabilities {
  /** Human-readable adapter name (vendor, architecture or description, whichever the adapter gives). */
  adapterName: string;
  shaderF16: boolean;
  subgroups: boolean;
  /** The smallest subgroup size the adapter may use; 0 when it does not say or has no subgroups. */
  subgroupMinSize: number;
  /** WGSL `@builtin(subgroup_id)` (language feature `subgroup_id`). */
  subgroupId: boolean;
  timestampQuery: boolean;
  /** A CPU implementation (SwiftShader, lavapipe): kernels avoid workgroup barriers there. */
  cpuAdapter: boolean;
  /** WGSL `dot4I8Packed` (language feature `packed_4x8_integer_dot_product`). */
  dot4I8Packed: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

/** A device plus the capabilities the kernels choose their variants by. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly caps: GpuCapabilities;
}

export interface GpuContextOptions {
  powerPreference?: GPUPowerPreference;
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

/**
 * Opens a device on `gpu` (navigator.gpu in a browser, the `webgpu` package's GPU in Node) with
 * the adapter's real limits: Chrome's defaults (128 MiB per binding) are far below what a 2B model needs.
 */
export async function createGpuContext(gpu: GPU | undefined, options: GpuContextOptions = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available here (navigator.gpu is undefined). Use a browser with WebGPU enabled ' +
        '(Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), served over https or localhost.',
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (cause) {
    throw new WebGpuUnavailableError(`requesting a WebGPU adapter failed: ${String(cause)}`, { cause });
  }
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'WebGPU is present but offered no adapter: the GPU may be blocklisted or its driver missing. ' +
        'In Chrome see chrome://gpu; on Linux without a GPU install a Vulkan driver (Mesa lavapipe or SwiftShader).',
    );
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      },
    });
  } catch (cause) {
    throw new WebGpuUnavailableError(`the WebGPU adapter refused to create a device: ${String(cause)}`, { cause });
  }
  const info = adapter.info;
  const adapterName =
    [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s && s.length > 0).join(' ') ||
    'unknown adapter';
  const languageFeatures = (gpu as GPU & { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
  return {
    device,
    caps: {
      adapterName,
      cpuAdapter:
        (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
        info?.isFallbackAdapter === true ||
        /swiftshader|llvmpipe|lavapipe|software/i.test(adapterName),
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      subgroupMinSize: device.features.has('subgroups') ? (info?.subgroupMinSize ?? 0) : 0,
      subgroupId: languageFeatures?.has('subgroup_id') ?? false,
      timestampQuery: device.features.has('timestamp-query'),
      dot4I8Packed: languageFeatures?.has('packed_4x8_integer_dot_product') ?? false,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}
