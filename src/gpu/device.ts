/**
 * Device acquisition: a fresh adapter and device (an adapter hands out one device), with the adapter's real limits
 * requested (a device otherwise gets the spec defaults, e.g. 128 MiB bindings), its description for the UI, and a
 * watch on `device.lost`.
 */
import { AppError } from '../shared/errors';

export interface DeviceOptions {
  readonly powerPreference?: GPUPowerPreference;
  /** Caps the bytes bound per storage binding below the device's limit (tests force sub-chunking this way). */
  readonly maxBindingBytes?: number;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** The adapter's description ("google / swiftshader"). */
  readonly adapterLabel: string;
  readonly isFallbackAdapter: boolean;
  /** Bytes one storage binding may cover (the smaller of the device limit and the option). */
  readonly maxBindingBytes: number;
  readonly maxBufferSize: number;
}

export async function acquireDevice(gpu: GPU, options: DeviceOptions = {}): Promise<AcquiredDevice> {
  const adapter = await gpu.requestAdapter(options.powerPreference === undefined ? {} : { powerPreference: options.powerPreference });
  if (adapter === null) {
    throw new AppError('E_GPU', 'No WebGPU adapter is available.', { hint: 'Use a browser with WebGPU enabled, or the CPU backend.' });
  }
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'merge-studio device',
    requiredLimits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    },
  });
  const info = adapter.info;
  const described = [info.vendor, info.architecture].filter((s) => s !== '').join(' / ');
  const adapterLabel = info.description !== '' ? info.description : described !== '' ? described : 'WebGPU adapter';
  const bindingLimit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  return {
    device,
    adapterLabel,
    isFallbackAdapter: info.isFallbackAdapter === true,
    maxBindingBytes: Math.min(bindingLimit, options.maxBindingBytes ?? bindingLimit),
    maxBufferSize: device.limits.maxBufferSize,
  };
}
