/** The WebGPU backends the Node GPU tests share: Dawn with the adapter's limits, and one with 4 KiB bindings (forced chunking). */
import { afterAll, beforeAll } from 'vitest';

import { createNodeGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import { createWebGpuBackend } from './webgpu-backend';
import type { WebGpuBackend } from './webgpu-backend';

export interface TestBackends {
  normal: WebGpuBackend;
  small: WebGpuBackend;
}

/** Creates both backends before the file's tests and disposes of them after. */
export function useTestBackends(): TestBackends {
  const backends = {} as TestBackends;
  beforeAll(async () => {
    const gpu = createNodeGpu();
    backends.normal = await createWebGpuBackend(gpu, nodeShaderLibrary());
    backends.small = await createWebGpuBackend(gpu, nodeShaderLibrary(), { maxBindingBytes: 4096 });
  });
  afterAll(async () => {
    await backends.normal.dispose();
    await backends.small.dispose();
  });
  return backends;
}
