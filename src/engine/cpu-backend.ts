/**
 * The CPU backend: the kernels of `methods/` behind the {@link Backend} interface. Chunks are decoded into pooled f32
 * scratch (F32 chunks that are 4-byte aligned are used in place), merged, and rounded to the requested dtype.
 */
import { AppError } from '../shared/errors';
import { decodeToF32, encodeFromF32, floatBytes, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import type { MergeJob, TensorMerger } from '../methods/kernel';
import { chunkStep } from '../methods/kernel';
import { KERNELS } from '../methods/kernels';
import type { Backend, BackendMerger, EncodedChunk } from './backend';
import { sliceChunk } from './backend';
import { BufferPool, Scratch } from './buffer-pool';
import { bakeOnCpu } from './lora-bake';

/** Elements per kernel call: 16 Ki f32 per input (64 KiB) stay in the core's cache between decode, kernel and round. */
const BLOCK_ELEMENTS = 16 * 1024;

export function createCpuBackend(pool = new BufferPool()): Backend {
  return {
    kind: 'cpu',
    label: 'CPU',
    createMerger: (method, job, inputCount) => Promise.resolve(cpuMerger(method, job, inputCount, pool)),
    dispose: () => Promise.resolve(),
  };
}

/** The method's CPU kernel behind the {@link BackendMerger} interface (also the WebGPU backend's fallback). */
export function cpuMerger(method: string, job: MergeJob, inputCount: number, pool: BufferPool): BackendMerger {
  return new CpuMerger(buildMerger(method, job, inputCount), inputCount, pool);
}

/** The method's CPU kernel for one tensor, with errors naming the tensor. */
export function buildMerger(method: string, job: MergeJob, inputCount: number): TensorMerger {
  const kernel = KERNELS[method];
  if (kernel === undefined) throw new AppError('E_UNKNOWN_METHOD', `No kernel for merge method ${method}.`);
  try {
    return kernel(job, inputCount);
  } catch (error) {
    throw error instanceof AppError ? error.withContext({ tensor: job.tensor }) : error;
  }
}

class CpuMerger implements BackendMerger {
  readonly passes: number;
  readonly rowLength: number | undefined;
  private readonly scratch: Scratch[];
  private readonly output: Scratch;

  constructor(
    private readonly merger: TensorMerger,
    inputCount: number,
    pool: BufferPool,
  ) {
    this.passes = merger.passes;
    this.rowLength = merger.rowLength;
    this.scratch = Array.from({ length: inputCount }, () => new Scratch(pool));
    this.output = new Scratch(pool);
  }

  reduce(pass: number, inputs: readonly EncodedChunk[], start: number, count: number): Promise<void> {
    const fast = this.merger.reduceBf16?.bind(this.merger);
    this.blocks(inputs, count, (decoded, offset) => this.merger.reduce(pass, decoded, start + offset), fast && ((bytes, offset) => fast(pass, bytes, start + offset)));
    return Promise.resolve();
  }

  endPass(pass: number): Promise<void> {
    this.merger.endPass(pass);
    return Promise.resolve();
  }

  apply(inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array> {
    const out = this.output.f32(count);
    const fast = this.merger.applyBf16?.bind(this.merger);
    this.blocks(
      inputs,
      count,
      (decoded, offset, n) => {
        const block = out.subarray(offset, offset + n);
        this.merger.apply(decoded, start + offset, block);
        roundInPlace(roundTo, block);
      },
      fast &&
        ((bytes, offset, n) => {
          const block = out.subarray(offset, offset + n);
          if (!fast(bytes, start + offset, block)) return false;
          roundInPlace(roundTo, block);
          return true;
        }),
    );
    return Promise.resolve(out);
  }

  /**
   * Encodes each block as it is computed: a bf16 output of bf16 inputs goes straight from the kernel's SIMD loop into
   * `out` where the kernel has one (`applyBf16Encoded`), other blocks through a cache-sized f32 block.
   */
  applyEncoded(inputs: readonly EncodedChunk[], start: number, count: number, dtype: FloatDType, out: Uint8Array): Promise<void> {
    const fast = dtype === 'BF16' ? this.merger.applyBf16Encoded?.bind(this.merger) : undefined;
    const at = (offset: number, n: number) => out.subarray(floatBytes(dtype, offset), floatBytes(dtype, offset + n));
    this.blocks(
      inputs,
      count,
      (decoded, offset, n) => {
        const block = this.output.f32(n);
        this.merger.apply(decoded, start + offset, block);
        encodeFromF32(dtype, block, at(offset, n));
      },
      fast && ((bytes, offset, n) => fast(bytes, start + offset, at(offset, n))),
    );
    return Promise.resolve();
  }

  release(): void {
    for (const s of this.scratch) s.release();
    this.output.release();
  }

  /**
   * Feeds the chunk to the kernel in cache-sized blocks (decoded just before use), which the kernel contract allows:
   * results do not depend on where chunks are cut. On a machine with little memory bandwidth this matters more than
   * the arithmetic.
   */
  private blocks(
    inputs: readonly EncodedChunk[],
    count: number,
    use: (decoded: Float32Array[], offset: number, n: number) => void,
    useBf16?: (bytes: Uint8Array[], offset: number, n: number) => boolean,
  ): void {
    const step = chunkStep(this.merger, count, BLOCK_ELEMENTS);
    // Not for an input with a LoRA to bake: its values are not its bytes.
    const bf16 = useBf16 !== undefined && inputs.every((chunk) => chunk.dtype === 'BF16' && chunk.lora === undefined);
    for (let offset = 0; offset < count; offset += step) {
      const n = Math.min(step, count - offset);
      // The kernel's bf16 fast path reads the bytes as they are; otherwise every input is decoded first.
      if (bf16 && useBf16(inputs.map((chunk) => chunk.bytes.subarray(offset * 2, (offset + n) * 2)), offset, n)) continue;
      const decoded = inputs.map((chunk, i) => decodeChunk(sliceChunk(chunk, offset, n), n, this.scratch[i] as Scratch));
      use(decoded, offset, n);
    }
  }
}

/**
 * An encoded chunk as f32 values: in place when it already is aligned f32, else decoded into `scratch` (with its LoRA
 * baked in, when it has one).
 */
export function decodeChunk(chunk: EncodedChunk, count: number, scratch: Scratch): Float32Array {
  if (chunk.lora !== undefined) return bakeOnCpu({ ...chunk, lora: chunk.lora }, scratch.f32(count));
  if (chunk.dtype === 'F32' && chunk.bytes.byteOffset % 4 === 0) return new Float32Array(chunk.bytes.buffer, chunk.bytes.byteOffset, count);
  const values = scratch.f32(count);
  decodeToF32(chunk.dtype, chunk.bytes, values);
  return values;
}
