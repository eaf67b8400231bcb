/**
 * The WebGPU backend's device session and the sub-chunk loop its mergers share: GPU work submitted in call order on the
 * current device (re-opened after a loss, the interrupted sub-chunks redone), chunks cut into sub-chunks that fit one
 * binding and one staging slot, a ring of sub-chunks in flight (upload, compute and readback overlap), and the f64
 * accumulation of per-block partial sums.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import { encodeFromF32, floatBytes } from '../io/safetensors/codec';
import { castOp } from '../gpu/ops';
import { BLOCK, GpuRuntime } from '../gpu/runtime';
import type { EncodedInput, Readback, RuntimeOptions } from '../gpu/runtime';
import type { ShaderLibrary } from '../gpu/shader-library';
import { AppError, isAppError } from '../shared/errors';
import { loraFitsBinding } from '../gpu/kernels/lora-delta';
import type { BackendMerger, EncodedChunk } from './backend';
import { sliceChunk } from './backend';
import { bakeOnCpu } from './lora-bake';

export interface SessionOptions extends RuntimeOptions {
  /** Re-create the device and redo the chunk after a device loss (default true). */
  readonly recoverFromLoss?: boolean;
  /** Sub-chunks in flight at once (the staging ring's slots); default 3, 1 runs them one after another. */
  readonly ringSlots?: number;
}

/** Sub-chunks in flight at once: while one computes, the next is uploaded and the previous one read back. */
const RING_SLOTS = 3;

/**
 * The current device, re-opened after a loss. Submissions (encoding under error scopes, which are a per-device stack
 * and must not interleave) run one at a time, in call order, even when the engine calls several mergers at once;
 * their readbacks overlap freely.
 */
export class Session {
  recoveries = 0;
  private disposed = false;
  private tail: Promise<unknown> = Promise.resolve();
  private reopening: Promise<void> | undefined;

  constructor(
    private readonly gpu: GPU,
    private readonly shaders: ShaderLibrary,
    private readonly options: SessionOptions,
    public runtime: GpuRuntime,
  ) {}

  /** Encodes and submits one job on the current device, after every earlier submission. */
  submit<T>(work: (runtime: GpuRuntime) => Promise<Readback<T>>): Promise<Readback<T>> {
    const result = this.tail.then(() => {
      if (this.disposed) throw new AppError('E_INTERNAL', 'The WebGPU backend was disposed.');
      return work(this.runtime);
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The adapter, as the UI names the backend ("WebGPU: <adapter>"). */
  get label(): string {
    return `WebGPU: ${this.runtime.label}${this.runtime.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
  }

  /** The adapter is a software one (SwiftShader): correct, but slower than the CPU kernels. */
  get software(): boolean {
    return this.runtime.isFallbackAdapter || /swiftshader/i.test(this.runtime.label);
  }

  /** Sub-chunks a merger keeps in flight. */
  get ringSlots(): number {
    return Math.max(1, this.options.ringSlots ?? RING_SLOTS);
  }

  /** Whether work that failed with `error` should be redone on a new device (see {@link recover}). */
  recoverable(error: unknown): boolean {
    return isAppError(error, 'E_DEVICE_LOST') && !this.disposed && this.options.recoverFromLoss !== false;
  }

  /** Opens a new device when the current one is lost (once, however many mergers noticed the loss). */
  async recover(): Promise<void> {
    if (this.reopening === undefined && this.runtime.lostInfo !== undefined) {
      this.reopening = (async () => {
        this.runtime.pool.destroy();
        this.runtime = await GpuRuntime.open(this.gpu, this.shaders, this.options);
        this.recoveries += 1;
      })().finally(() => (this.reopening = undefined));
    }
    await this.reopening;
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

export interface SubChunkOptions {
  /** Sub-chunks hold a multiple of this many elements (default one reduction block). */
  readonly unit?: number;
  /** Each sub-chunk's submission needs the previous one's result (running counts): no overlap. */
  readonly sequential?: boolean;
}

/**
 * Runs `submit` on each sub-chunk small enough for one binding (and one staging slot), in element order, and hands
 * each result to `consume` in the same order. Up to {@link RING_SLOTS} sub-chunks are in flight: the next ones are
 * uploaded and queued while earlier ones compute and are read back (a MAP_READ staging buffer per slot, mapped as soon
 * as its job is submitted). After a device loss the session opens a new device
 * and redoes every sub-chunk not yet consumed; a second loss before any progress is reported as E_DEVICE_LOST.
 */
export async function eachSubChunk<T>(
  session: Session,
  inputs: readonly EncodedChunk[],
  count: number,
  submit: (runtime: GpuRuntime, parts: EncodedInput[], offset: number, n: number) => Promise<Readback<T>>,
  consume: (result: T, offset: number, n: number) => void,
  options: SubChunkOptions = {},
): Promise<void> {
  const unit = options.unit ?? BLOCK;
  const size = Math.max(unit, Math.floor(session.runtime.subChunkElements(inputs.length) / unit) * unit);
  const slots = options.sequential === true ? 1 : session.ringSlots;
  const inFlight: { offset: number; n: number; result: Promise<T> }[] = [];
  let next = 0;
  let done = 0;
  let lostAt = -1;
  while (done < count) {
    while (inFlight.length < slots && next < count) {
      const offset = next;
      const n = Math.min(size, count - offset);
      const parts = inputs.map((input) => gpuPart(input, offset, n, session.runtime.maxBindingBytes));
      const result = session.submit((runtime) => submit(runtime, parts, offset, n)).then((readback) => readback());
      result.catch(() => undefined);
      inFlight.push({ offset, n, result });
      next += n;
    }
    const head = inFlight.shift() as (typeof inFlight)[number];
    let value: T;
    try {
      value = await head.result;
    } catch (error) {
      if (!session.recoverable(error) || lostAt === done) throw error;
      lostAt = done;
      await session.recover();
      inFlight.length = 0;
      next = done;
      continue;
    }
    consume(value, head.offset, head.n);
    done += head.n;
  }
}

export type ApplyOp = (runtime: GpuRuntime, parts: EncodedInput[], start: number, n: number, roundTo: FloatDType) => Promise<Readback<Float32Array>>;
/** An {@link ApplyOp} whose result comes back as the output's stored bytes; undefined where its kernel cannot give them. */
export type ApplyBytesOp = (runtime: GpuRuntime, parts: EncodedInput[], start: number, n: number, dtype: FloatDType) => Promise<Readback<Uint8Array>> | undefined;

/** `apply` over sub-chunks, gathering the output (a chunk of one sub-chunk is its result as it came back). */
export async function applyBySubChunks(session: Session, op: ApplyOp, inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array> {
  let out: Float32Array | undefined;
  await eachSubChunk(
    session,
    inputs,
    count,
    (runtime, parts, offset, n) => op(runtime, parts, start + offset, n, roundTo),
    (values, offset, n) => {
      if (offset === 0 && n === count) out = values;
      else (out ??= new Float32Array(count)).set(values, offset);
    },
  );
  return out ?? new Float32Array(count);
}

/**
 * `applyEncoded` over sub-chunks: each sub-chunk's stored bytes go straight into `out` where `bytesOp` gives them (no
 * widening to f32 and encoding again on the host: a tenth of a two-input sub-chunk's time on SwiftShader), else `op`'s
 * f32 values are encoded here. The same bytes either way: the kernel rounds as the host encoder does.
 */
export async function applyEncodedBySubChunks(
  session: Session,
  op: ApplyOp,
  bytesOp: ApplyBytesOp,
  inputs: readonly EncodedChunk[],
  start: number,
  count: number,
  dtype: FloatDType,
  out: Uint8Array,
): Promise<void> {
  await eachSubChunk<Uint8Array | Float32Array>(
    session,
    inputs,
    count,
    (runtime, parts, offset, n) => bytesOp(runtime, parts, start + offset, n, dtype) ?? op(runtime, parts, start + offset, n, dtype),
    (result, offset, n) => {
      const target = out.subarray(floatBytes(dtype, offset), floatBytes(dtype, offset + n));
      if (result instanceof Uint8Array) target.set(result);
      else encodeFromF32(dtype, result, target);
    },
  );
}

/** A merger with no reduction pass; with `bytesOp`, it also writes encoded output directly (`applyEncoded`). */
export function elementwiseMerger(session: Session, op: ApplyOp, bytesOp?: ApplyBytesOp): BackendMerger {
  return {
    passes: 0,
    rowLength: undefined,
    reduce: () => Promise.resolve(),
    endPass: () => Promise.resolve(),
    apply: (inputs, start, count, roundTo) => applyBySubChunks(session, op, inputs, start, count, roundTo),
    ...(bytesOp === undefined ? {} : { applyEncoded: (inputs, start, count, dtype, out) => applyEncodedBySubChunks(session, op, bytesOp, inputs, start, count, dtype, out) }),
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
