/**
 * The weight lens's WebGPU backend: exact mode's chunks reduced by lens_stats.wgsl (gpu/kernels/lens-stats.ts) on the
 * merge backend's device session — sub-chunks of whole blocks in a ring, f32 partials per block of 256 elements, added
 * in f64 on the host in block order (so the sums do not depend on where chunks are cut), a lost device re-opened and
 * the unfinished sub-chunks redone.
 */
import { LENS_STATS, lensStatsOp } from '../gpu/ops';
import { GpuRuntime } from '../gpu/runtime';
import type { EncodedInput } from '../gpu/runtime';
import type { ShaderLibrary } from '../gpu/shader-library';
import { AppError } from '../shared/errors';
import type { LensReducer } from './lens-reducer';
import { cpuLensReducer } from './lens-reducer';
import { Session, addPartials, eachSubChunk } from './webgpu-session';
import type { SessionOptions } from './webgpu-session';

export interface WebGpuLensReducer extends LensReducer {
  /** The adapter is a software one (SwiftShader): correct, but slower than the CPU. */
  readonly software: boolean;
  dispose(): void;
}

export async function createWebGpuLensReducer(gpu: GPU, shaders: ShaderLibrary, options: SessionOptions = {}): Promise<WebGpuLensReducer> {
  const session = new Session(gpu, shaders, options, await GpuRuntime.open(gpu, shaders, options));
  return {
    get label() {
      return session.label;
    },
    get software() {
      return session.software;
    },
    async add(sums, a, b, count, t) {
      const partial = new Array<number>(LENS_STATS.length).fill(0);
      await eachSubChunk(
        session,
        [a, b],
        count,
        (runtime, parts, _offset, n) => lensStatsOp(runtime, parts[0] as EncodedInput, parts[1] as EncodedInput, n, t),
        (partials) => addPartials(partial, partials),
      );
      LENS_STATS.forEach((field, i) => (sums[field] += partial[i] as number));
      sums.elements += count;
    },
    dispose: () => session.dispose(),
  };
}

/** Which backend reduces exact mode: `auto` the GPU when it has a hardware adapter, `webgpu` any adapter, `cpu` the CPU. */
export type LensBackendKind = 'auto' | 'cpu' | 'webgpu';

export interface ChosenLensReducer {
  readonly reducer: LensReducer;
  /** Why `auto` fell back to the CPU. */
  readonly note: string | undefined;
  /** The reducer runs on a software GPU adapter (asked for by name): its threads compete with this one for the cores. */
  readonly softwareGpu: boolean;
  dispose(): Promise<void>;
}

/** The CPU's reducer where it is chosen (the worker pool's), and how to stop it. */
export type CpuLensReducerFactory = () => { readonly reducer: LensReducer; dispose(): Promise<void> };

/**
 * The lens's reducer for `kind` on `gpu` (undefined where the platform has no WebGPU). `auto` falls back to the CPU,
 * saying why, when there is no adapter or only a software one (SwiftShader is slower than the CPU); `webgpu` fails
 * with E_GPU when no adapter opens. The CPU is `cpu`'s reducer (the worker pool), else this thread's.
 */
export async function chooseLensReducer(kind: LensBackendKind, gpu: GPU | undefined, shaders: ShaderLibrary, cpuFactory?: CpuLensReducerFactory): Promise<ChosenLensReducer> {
  const cpu = (note?: string): ChosenLensReducer => {
    const made = cpuFactory?.() ?? { reducer: cpuLensReducer, dispose: () => Promise.resolve() };
    return { reducer: made.reducer, note, softwareGpu: false, dispose: () => made.dispose() };
  };
  if (kind === 'cpu') return cpu();
  let reducer: WebGpuLensReducer;
  try {
    if (gpu === undefined) throw new Error('WebGPU is not available here.');
    reducer = await createWebGpuLensReducer(gpu, shaders);
  } catch (error) {
    if (kind === 'webgpu') {
      throw new AppError('E_GPU', 'The WebGPU backend could not start: no GPU adapter was found.', { cause: error, hint: 'Run with --backend cpu, or on a machine with a GPU and its Vulkan driver.' });
    }
    return cpu('No WebGPU adapter was found');
  }
  if (kind === 'auto' && reducer.software) {
    const label = reducer.label;
    reducer.dispose();
    return cpu(`The only GPU adapter is a software one (${label})`);
  }
  return {
    reducer,
    note: undefined,
    softwareGpu: reducer.software,
    dispose: () => {
      reducer.dispose();
      return Promise.resolve();
    },
  };
}
