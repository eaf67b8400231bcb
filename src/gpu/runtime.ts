/**
 * One device's worth of GPU state (device, buffer pool, pipeline cache) and {@link GpuJob}, the unit of work: uploads,
 * dispatches and one readback in one submission, with every buffer it used returned to the pool when it completes.
 * A job is encoded and submitted under error scopes ({@link GpuRuntime.submit}); its readback — mapAsync on a staging
 * buffer, requested at submission — is awaited later ({@link Readback}), so the caller can queue the next job while
 * this one computes and comes back (the staging ring of engine/webgpu-session.ts). Device loss is watched: work on a
 * lost device fails with E_DEVICE_LOST.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import type { LoraBake } from '../methods/lora-delta';
import { AppError } from '../shared/errors';
import { BufferPool } from './buffer-pool';
import { acquireDevice } from './device';
import type { DeviceOptions } from './device';
import { deviceLostError, gpuError, openErrorScopes } from './errors';
import { PipelineCache } from './pipelines';
import type { Constants } from './pipelines';
import type { ShaderLibrary } from './shader-library';

/** One input's elements in their stored encoding (little-endian); with `lora`, W's elements to bake the LoRA into. */
export interface EncodedInput {
  readonly dtype: FloatDType;
  readonly bytes: Uint8Array;
  readonly lora?: LoraBake;
}

/** The dtype codes of shaders/lib/dtype.wgsl. */
export const DTYPE_CODE: Readonly<Record<FloatDType, number>> = { F32: 0, F16: 1, BF16: 2 };

/** A submitted job's result: awaits its readback (already requested) and converts the bytes. */
export type Readback<T> = () => Promise<T>;

/** The result of a job, submitted and read back at once. */
export async function resultOf<T>(submitted: Promise<Readback<T>>): Promise<T> {
  return (await submitted)();
}

export interface RuntimeOptions extends DeviceOptions {
  /** Most elements one dispatch covers (keeps each dispatch short); default 4 Mi. */
  readonly maxDispatchElements?: number;
  /**
   * Bytes of f32 output one sub-chunk reads back (a slot of the staging ring); default 4 MiB — the size at which
   * uploads and readbacks stream fastest (ecosystem.md §7.3).
   */
  readonly slotBytes?: number;
  /** Called with each device created (tests use it to simulate device loss). */
  readonly onDevice?: (device: GPUDevice) => void;
}

/** Reductions produce one partial per block of this many consecutive elements (BLOCK in shaders/lib/index.wgsl). */
export const BLOCK = 256;
/** Invocations per workgroup (WORKGROUP in shaders/lib/index.wgsl). */
const WORKGROUP = 256;
/** Most workgroups along one dimension of a dispatch. */
export const MAX_GROUPS_X = 65535;

export class GpuRuntime {
  lostInfo: GPUDeviceLostInfo | undefined;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private readonly lostPromise: Promise<GPUDeviceLostInfo>;

  private constructor(
    /** Held so the GPU instance outlives its devices (Dawn in Node tears everything down when it is collected). */
    readonly gpu: GPU,
    readonly device: GPUDevice,
    readonly label: string,
    /** A software adapter (SwiftShader): works, but slower than the CPU kernels for most merges. */
    readonly isFallbackAdapter: boolean,
    readonly maxBindingBytes: number,
    maxBufferSize: number,
    private readonly maxDispatchElements: number,
    private readonly slotElements: number,
    shaders: ShaderLibrary,
  ) {
    this.pool = new BufferPool(device, maxBufferSize);
    this.pipelines = new PipelineCache(device, shaders);
    this.lostPromise = device.lost.then((info) => {
      this.lostInfo = info;
      return info;
    });
  }

  static async open(gpu: GPU, shaders: ShaderLibrary, options: RuntimeOptions = {}): Promise<GpuRuntime> {
    const acquired = await acquireDevice(gpu, options);
    const runtime = new GpuRuntime(
      gpu,
      acquired.device,
      acquired.adapterLabel,
      acquired.isFallbackAdapter,
      acquired.maxBindingBytes,
      acquired.maxBufferSize,
      options.maxDispatchElements ?? 4 * 1024 * 1024,
      Math.floor((options.slotBytes ?? 4 * 1024 * 1024) / 4),
      shaders,
    );
    options.onDevice?.(acquired.device);
    return runtime;
  }

  /**
   * Elements per sub-chunk when `arrays` f32 arrays of that length are bound together in one binding (the decoded
   * inputs), at most one dispatch and one staging slot: a multiple of {@link BLOCK}, so sub-chunks keep reduction
   * blocks aligned to the element index.
   */
  subChunkElements(arrays: number): number {
    const byBinding = Math.floor(this.maxBindingBytes / (4 * Math.max(1, arrays)) / BLOCK) * BLOCK;
    const bySize = Math.floor(Math.min(this.maxDispatchElements, this.slotElements) / BLOCK) * BLOCK;
    return Math.max(BLOCK, Math.min(byBinding, bySize));
  }

  /**
   * Encodes one job with `encode` and submits it, inside error scopes; the returned {@link Readback} awaits its result.
   * The scopes are popped as soon as the job is submitted, so the next job can be encoded at once; their verdict is
   * awaited by the readback (before, each submission waited for it: two rounds of Dawn's event polling, which on a
   * software adapter waits for a core). Failures on a lost device become E_DEVICE_LOST, others E_GPU.
   */
  async submit<T>(what: string, encode: (job: GpuJob) => Promise<Readback<T>>): Promise<Readback<T>> {
    if (this.lostInfo !== undefined) throw deviceLostError(this.lostInfo);
    const scopes = openErrorScopes(this.device);
    let readback: Readback<T>;
    try {
      readback = await encode(new GpuJob(this, what));
    } catch (error) {
      // A GPU error explains whatever the encoding threw.
      const scoped = await scopes.close();
      throw await this.failure(what, scoped === null ? error : gpuError(what, scoped));
    }
    const scoped = scopes.close();
    return async () => {
      try {
        const error = await scoped;
        if (error !== null) throw gpuError(what, error);
        return await readback();
      } catch (error) {
        throw await this.failure(what, error);
      }
    };
  }

  /** A failure as E_DEVICE_LOST when the device is (or within 100 ms turns out to be) lost, else as E_GPU. */
  private async failure(what: string, error: unknown): Promise<AppError> {
    const info = this.lostInfo ?? (await Promise.race([this.lostPromise, delay(100)]));
    if (info !== undefined) return deviceLostError(info, error);
    return error instanceof AppError ? error : gpuError(what, error);
  }

  destroy(): void {
    this.pool.destroy();
    this.device.destroy();
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/** A binding: a whole pooled buffer's first `size` bytes. */
export interface Binding {
  readonly buffer: GPUBuffer;
  readonly size: number;
}

/** One submission's uploads, dispatches and readback. */
export class GpuJob {
  private readonly encoder: GPUCommandEncoder;
  private readonly used: GPUBuffer[] = [];

  constructor(
    private readonly runtime: GpuRuntime,
    private readonly label: string,
  ) {
    this.encoder = runtime.device.createCommandEncoder({ label });
  }

  /**
   * A storage buffer holding `bytes`, bound padded to a multiple of `align` bytes (a multiple of 4). Whole words are
   * written straight from `bytes`; past its end the padding holds whatever the pooled buffer held, except the last
   * word's missing bytes (zeros).
   */
  upload(bytes: Uint8Array, what: string, align = 4): Binding {
    const size = Math.ceil(bytes.byteLength / align) * align;
    const buffer = this.take(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, size, what);
    const whole = bytes.byteOffset % 4 === 0 ? bytes.byteLength - (bytes.byteLength % 4) : 0;
    if (whole > 0) this.runtime.device.queue.writeBuffer(buffer, 0, bytes.buffer, bytes.byteOffset, whole);
    if (whole < bytes.byteLength) {
      const tail = new Uint8Array(Math.ceil((bytes.byteLength - whole) / 4) * 4);
      tail.set(bytes.subarray(whole));
      this.runtime.device.queue.writeBuffer(buffer, whole, tail.buffer, 0, tail.byteLength);
    }
    return { buffer, size };
  }

  /** A storage buffer the kernels write (and that may be read back). */
  storage(size: number, what: string): Binding {
    return { buffer: this.take(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, size, what), size };
  }

  uniform(data: ArrayBuffer, what: string): Binding {
    const buffer = this.take(GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, data.byteLength, what);
    this.runtime.device.queue.writeBuffer(buffer, 0, data);
    return { buffer, size: data.byteLength };
  }

  /** Encodes one compute pass of `shader` with `invocations` invocations (2-D grid of workgroups when needed). */
  dispatch(shader: string, constants: Constants, bindings: readonly Binding[], invocations: number): Promise<void> {
    const groups = Math.max(1, Math.ceil(invocations / WORKGROUP));
    const x = Math.min(groups, MAX_GROUPS_X);
    return this.dispatchGroups(shader, constants, bindings, x, Math.ceil(groups / x));
  }

  /** Encodes one compute pass of `shader` with an explicit workgroup grid. */
  async dispatchGroups(shader: string, constants: Constants, bindings: readonly Binding[], x: number, y = 1): Promise<void> {
    const pipeline = await this.runtime.pipelines.get(shader, constants);
    const bindGroup = this.runtime.device.createBindGroup({
      label: `${this.label} ${shader}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((b, binding) => ({ binding, resource: { buffer: b.buffer, offset: 0, size: b.size } })),
    });
    const pass = this.encoder.beginComputePass({ label: `${this.label} ${shader}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** Zeroes a buffer the kernels accumulate into (pooled buffers hold old contents). */
  clear(target: Binding): void {
    this.encoder.clearBuffer(target.buffer, 0, target.size);
  }

  /**
   * Submits everything and requests the readback of `sources` through one staging buffer (mapAsync). The returned
   * function awaits the mapping, copies the bytes out and frees the job's buffers.
   */
  readback(sources: readonly Binding[]): Readback<ArrayBuffer[]> {
    const total = sources.reduce((sum, s) => sum + s.size, 0);
    const staging = this.take(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, total, `${this.label} readback`);
    let offset = 0;
    for (const source of sources) {
      this.encoder.copyBufferToBuffer(source.buffer, 0, staging, offset, source.size);
      offset += source.size;
    }
    this.runtime.device.queue.submit([this.encoder.finish({ label: this.label })]);
    const mapped = staging.mapAsync(GPUMapMode.READ, 0, total);
    // Awaited by the returned function; until then a rejection (device loss) is not unhandled.
    mapped.catch(() => undefined);
    return async () => {
      try {
        await mapped;
        const range = staging.getMappedRange(0, total);
        let at = 0;
        const copies = sources.map((source) => {
          const copy = range.slice(at, at + source.size);
          at += source.size;
          return copy;
        });
        staging.unmap();
        return copies;
      } finally {
        if (this.runtime.lostInfo === undefined) for (const buffer of this.used) this.runtime.pool.release(buffer);
      }
    };
  }

  /** {@link readback} of one buffer, as f32 values. */
  readbackF32(source: Binding): Readback<Float32Array> {
    const read = this.readback([source]);
    return async () => new Float32Array((await read())[0] as ArrayBuffer);
  }

  /** {@link readback} of one buffer, as u32 values. */
  readbackU32(source: Binding): Readback<Uint32Array> {
    const read = this.readback([source]);
    return async () => new Uint32Array((await read())[0] as ArrayBuffer);
  }

  private take(usage: GPUBufferUsageFlags, size: number, what: string): GPUBuffer {
    const buffer = this.runtime.pool.acquire(usage, size, `${this.label} ${what}`);
    this.used.push(buffer);
    return buffer;
  }
}

/** A little-endian uniform block of u32 and f32 fields, padded to 16 bytes. */
export function uniformBlock(fields: readonly (readonly ['u32' | 'f32', number])[]): ArrayBuffer {
  const data = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(data);
  fields.forEach(([type, value], i) => {
    if (type === 'u32') view.setUint32(i * 4, value >>> 0, true);
    else view.setFloat32(i * 4, value, true);
  });
  return data;
}
