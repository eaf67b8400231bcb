/**
 * Which backend the `merge` command runs on. `auto` (the default) takes the GPU when Dawn finds a hardware adapter
 * and otherwise the CPU on every core, saying why; `webgpu` insists on the GPU (a software adapter included, which is
 * how the tests run the WGSL on machines without one); `cpu` never touches the GPU.
 */
import { AppError } from '../shared/errors';
import type { Backend } from '../engine/backend';
import { createNodeWorkerExecutor } from '../engine/node-worker-executor';
import type { TensorExecutor } from '../engine/tensor-executor';
import { createWebGpuBackend } from '../engine/webgpu-backend';
import { createNodeGpu, yieldToSoftwareGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';

export type BackendKind = 'auto' | 'cpu' | 'webgpu';

export interface ChosenBackend {
  readonly label: string;
  /** Why `auto` did not take the GPU. */
  readonly note: string | undefined;
  readonly backend: Backend | undefined;
  readonly executor: TensorExecutor | undefined;
  dispose(): Promise<void>;
}

export async function chooseBackend(kind: BackendKind, threads: number | undefined): Promise<ChosenBackend> {
  const cpu = (note?: string): ChosenBackend => {
    const executor = createNodeWorkerExecutor(threads === undefined ? {} : { threads });
    return { label: executor.label, note, backend: undefined, executor, dispose: () => executor.dispose() };
  };
  if (kind === 'cpu') return cpu();
  let gpu;
  try {
    gpu = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary());
  } catch (error) {
    if (kind === 'webgpu') {
      throw new AppError('E_GPU', 'The WebGPU backend could not start: no GPU adapter was found.', { cause: error, hint: 'Run with --backend cpu, or on a machine with a GPU and its Vulkan driver.' });
    }
    return cpu('No WebGPU adapter was found');
  }
  if (kind === 'auto' && gpu.software) {
    const label = gpu.label;
    await gpu.dispose();
    return cpu(`The only GPU adapter is a software one (${label})`);
  }
  // A software adapter asked for by name: its threads run the kernels, this thread mostly polls (no CPU workers follow).
  if (gpu.software) yieldToSoftwareGpu();
  return { label: gpu.label, note: undefined, backend: gpu, executor: undefined, dispose: () => gpu.dispose() };
}
