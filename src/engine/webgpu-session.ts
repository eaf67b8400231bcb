/**
 * The WebGPU backend's device session and the sub-chunk loop its mergers share: GPU work in call order on the current
 * device (re-opened after a loss, the interrupted sub-chunk redone), chunks cut into sub-chunks that fit one binding,
 * and the f64 accumulation of per-block partial sums.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import { castOp } from '../gpu/ops';
import { BLOCK, GpuRuntime } from '../gpu/runtime';
import type { EncodedInput, RuntimeOptions } from '../gpu/runtime';
import type { ShaderLibrary } from '../gpu/shader-library';
import { AppError, isAppError } from '../shared/errors';
import { loraFitsBinding } from '../gpu/kernels/lora-delta';
import type { BackendMerger, EncodedChunk } from './backend';
import { sliceChunk } from './backend';
import { bakeOnCpu } from './lora-bake';

export interface SessionOptions extends RuntimeOptions {
  /** Re-create the device and redo the chunk after a device loss (default true). */
  readonly recoverFromLoss?: boolean;
}

/**
 * The current device, re-opened after a loss. GPU work runs one sub-chunk at a time, in call order, even when the
 * engine calls several mergers at once (error scopes are a per-device stack and must not interleave).
 */
export class Session {
  recoveries = 0;
  private disposed = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly gpu: GPU,
    private readonly shaders: ShaderLibrary,
    private readonly options: SessionOptions,
    public runtime: GpuRuntime,
  ) {}

  run<T>(work: (runtime: GpuRuntime) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.attempt(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async attempt<T>(work: (runtime: GpuRuntime) => Promise<T>): Promise<T> {
    if (this.disposed) throw new AppError('E_INTERNAL', 'The WebGPU backend was disposed.');
    try {
      return await work(this.runtime);
    } catch (error) {
      if (!isAppError(error, 'E_DEVICE_LOST') || this.disposed || this.options.recoverFromLoss === false) throw error;
      this.runtime.pool.destroy();
      this.runtime = await GpuRuntime.open(this.gpu, this.shaders, this.options);
      this.recoveries += 1;
      return work(this.runtime);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.runtime.destroy();
  }
}

/**
 * Elements [from, from + count) of an encoded chunk, for the GPU: a LoRA bake goes along (baked in the GPU's decode),
 * unless a factor is larger than one binding — then it is baked here on the CPU and uploaded as f32.
 */
function gpuPart(input: EncodedChunk, from: number, count: number, maxBindingBytes: number): EncodedInput {
  const part = sliceChunk(input, from, count);
  if (part.lora === undefined || loraFitsBinding(part.lora.factors, maxBindingBytes)) return part;
  const values = bakeOnCpu({ ...part, lora: part.lora }, new Float32Array(count));
  return { dtype: 'F32', bytes: new Uint8Array(values.buffer) };
}

/** Runs `step` on each sub-chunk small enough for one binding of `arrays` f32 arrays, in element order. */
export async function eachSubChunk(
  session: Session,
  inputs: readonly EncodedChunk[],
  count: number,
  step: (runtime: GpuRuntime, parts: EncodedInput[], offset: number, n: number) => Promise<void>,
  unit = BLOCK,
): Promise<void> {
  const size = Math.max(unit, Math.floor(session.runtime.subChunkElements(inputs.length) / unit) * unit);
  for (let offset = 0; offset < count; offset += size) {
    const n = Math.min(size, count - offset);
    const parts = inputs.map((input) => gpuPart(input, offset, n, session.runtime.maxBindingBytes));
    await session.run((runtime) => step(runtime, parts, offset, n));
  }
}

export type ApplyOp = (runtime: GpuRuntime, parts: EncodedInput[], start: number, n: number, roundTo: FloatDType) => Promise<Float32Array>;

/** `apply` over sub-chunks, gathering the output. */
export async function applyBySubChunks(session: Session, op: ApplyOp, inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array> {
  const out = new Float32Array(count);
  await eachSubChunk(session, inputs, count, async (runtime, parts, offset, n) => {
    out.set(await op(runtime, parts, start + offset, n, roundTo), offset);
  });
  return out;
}

export function elementwiseMerger(session: Session, op: ApplyOp): BackendMerger {
  return {
    passes: 0,
    rowLength: undefined,
    reduce: () => Promise.resolve(),
    endPass: () => Promise.resolve(),
    apply: (inputs, start, count, roundTo) => applyBySubChunks(session, op, inputs, start, count, roundTo),
    release: () => undefined,
  };
}

/** Input `index` unchanged (decoded and rounded). */
export function copyOp(index: number): ApplyOp {
  return (runtime, parts, _start, n, roundTo) => castOp(runtime, parts[index] as EncodedInput, n, roundTo);
}

/** Adds interleaved per-block partials ([block][k], k < sums.length) into `sums` in f64, block by block in order. */
export function addPartials(sums: number[], partials: Float32Array): void {
  const k = sums.length;
  for (let block = 0; block < partials.length; block += k) {
    for (let j = 0; j < k; j++) sums[j] = (sums[j] as number) + (partials[block + j] as number);
  }
}
