/**
 * The WebGPU backend: each output tensor's merge runs on the GPU chunk by chunk — encoded inputs are uploaded and
 * decoded on the GPU, the method's kernel runs, and f32 values already rounded to the output dtype come back.
 * Reductions come back as per-block f32 partials that are added in f64 on the host in block order (mergers that reduce
 * declare `rowLength` = one block, so blocks never straddle chunks and statistics do not depend on the chunk size).
 *
 * Inputs with a LoRA to bake (`model+lora`) are baked in the GPU's decode (gpu/kernels/lora-delta.ts, a tiled matmul),
 * so their values never pass through the CPU.
 *
 * GPU-native: see {@link GPU_NATIVE_METHODS} and {@link runsOnGpu}. Every other case runs the CPU kernel inside this
 * backend, so every method works.
 *
 * Chunks are cut into sub-chunks (a multiple of a block) that fit one storage binding and one staging slot (4 MiB of
 * output by default), and a ring of them is in flight: the next sub-chunks are uploaded and queued while earlier ones
 * compute and are read back (mapAsync). The GPU keeps no state between sub-chunks, so when the device is lost the
 * backend (unless told not to) opens a new device and redoes the sub-chunks not yet finished; a second loss in a row is
 * reported as E_DEVICE_LOST.
 *
 * Here: the method table and the elementwise mergers. webgpu-session.ts holds the device session and the sub-chunk loop;
 * webgpu-reductions.ts slerp and the Gram methods; webgpu-task-vector.ts the task-vector family (DARE, TIES, DELLA, ...);
 * webgpu-sce.ts sce.
 */
import { boolParam, numberParam, otherIndexes } from '../methods/kernel';
import type { MergeJob } from '../methods/kernel';
import { nuslerpFlat } from '../methods/nuslerp';
import { nearswapKernel, weightedSumKernel, weightedSumOp } from '../gpu/ops';
import type { OutputKernel } from '../gpu/ops';
import { GpuRuntime } from '../gpu/runtime';
import type { ShaderLibrary } from '../gpu/shader-library';
import { AppError } from '../shared/errors';
import type { Backend, BackendMerger } from './backend';
import { BufferPool } from './buffer-pool';
import { cpuMerger } from './cpu-backend';
import { gramMethodMerger, slerpMerger } from './webgpu-reductions';
import { sceMerger } from './webgpu-sce';
import { Session, copyOp, elementwiseMerger } from './webgpu-session';
import type { SessionOptions } from './webgpu-session';
import { taskVectorConfig, taskVectorMerger } from './webgpu-task-vector';

/**
 * Methods with a GPU kernel. Exceptions that run the CPU kernel: model_stock with filter_wise, nuslerp row- or
 * column-wise (see {@link runsOnGpu}).
 */
const GPU_NATIVE_METHODS = [
  'passthrough',
  'linear',
  'task_arithmetic',
  'nearswap',
  'slerp',
  'dare_linear',
  'dare_ties',
  'ties',
  'breadcrumbs',
  'breadcrumbs_ties',
  'della',
  'della_linear',
  'karcher',
  'model_stock',
  'multislerp',
  'nuslerp',
  'sce',
] as const;

export type WebGpuBackendOptions = SessionOptions;

export interface WebGpuBackend extends Backend {
  readonly kind: 'webgpu';
  /** How many device losses the backend recovered from. */
  readonly recoveries: number;
  /**
   * The adapter is a software fallback (SwiftShader): merges are correct but several times slower than the CPU backend
   * (`npm run bench` prints both), so automatic backend selection should prefer the CPU.
   */
  readonly software: boolean;
}

/** Whether `method` runs on the GPU for this job (else the CPU kernel runs inside the backend). */
export function runsOnGpu(method: string, job: MergeJob): boolean {
  if (!(GPU_NATIVE_METHODS as readonly string[]).includes(method)) return false;
  if (method === 'model_stock') return !boolParam(job.globals, 'filter_wise', false);
  if (method === 'nuslerp') return nuslerpFlat(job);
  return true;
}

export async function createWebGpuBackend(gpu: GPU, shaders: ShaderLibrary, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const session = new Session(gpu, shaders, options, await GpuRuntime.open(gpu, shaders, options));
  const pool = new BufferPool(256 * 1024 * 1024);
  return {
    kind: 'webgpu',
    get label() {
      return session.label;
    },
    get recoveries() {
      return session.recoveries;
    },
    get software() {
      return session.software;
    },
    createMerger: async (method, job, inputCount) => {
      try {
        // The CPU kernel validates the job (and raises the same errors) on both paths.
        const reference = cpuMerger(method, job, inputCount, pool);
        return runsOnGpu(method, job) ? gpuMerger(session, method, job, inputCount) : reference;
      } catch (error) {
        throw error instanceof AppError ? error.withContext({ tensor: job.tensor }) : error;
      }
    },
    dispose: () => {
      session.dispose();
      return Promise.resolve();
    },
  };
}

function gpuMerger(session: Session, method: string, job: MergeJob, inputCount: number): BackendMerger {
  const config = taskVectorConfig(method);
  if (config !== undefined) return taskVectorMerger(session, config, job, inputCount);
  switch (method) {
    case 'passthrough': {
      const scale = numberParam(job.perModel[0] ?? {}, 'scale', 1);
      if (scale === 1) return elementwiseMerger(session, copyOp(0));
      return elementwiseMerger(session, (runtime, parts, _start, n, roundTo) => weightedSumOp(runtime, parts, n, [scale], 1, roundTo));
    }
    case 'linear': {
      const weights = Array.from({ length: inputCount }, (_, i) => numberParam(job.perModel[i] ?? {}, 'weight'));
      const divisor = boolParam(job.globals, 'normalize', true) ? weights.reduce((a, b) => a + b, 0) : 1;
      return kernelMerger(session, weightedSumKernel(weights, divisor));
    }
    case 'nearswap': {
      const base = job.baseIndex ?? 0;
      const other = otherIndexes(job, inputCount)[0];
      if (other === undefined) return elementwiseMerger(session, copyOp(base));
      const t = numberParam(job.globals, 't');
      return kernelMerger(session, nearswapKernel(base, other, t));
    }
    case 'slerp':
      return slerpMerger(session, job, inputCount);
    case 'sce':
      return sceMerger(session, job, inputCount);
    case 'karcher':
    case 'model_stock':
    case 'multislerp':
    case 'nuslerp':
      return gramMethodMerger(session, method, job, inputCount);
    default:
      throw new AppError('E_INTERNAL', `${method} has no GPU merger.`);
  }
}

/** An elementwise merger over an output kernel: f32 values for `apply`, stored bytes for `applyEncoded` where it can. */
function kernelMerger(session: Session, kernel: OutputKernel): BackendMerger {
  return elementwiseMerger(
    session,
    (runtime, parts, _start, n, roundTo) => kernel.values(runtime, parts, n, roundTo),
    (runtime, parts, _start, n, dtype) => kernel.bytes(runtime, parts, n, dtype),
  );
}
