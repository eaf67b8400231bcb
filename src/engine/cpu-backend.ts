/**
 * The CPU backend: the kernels of `methods/` behind the {@link Backend} interface. Chunks are decoded into pooled f32
 * scratch (F32 chunks that are 4-byte aligned are used in place), merged, and rounded to the requested dtype.
 */
import { AppError } from '../shared/errors';
import { decodeToF32, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import type { MergeJob, TensorMerger } from '../methods/kernel';
import { KERNELS } from '../methods/kernels';
import type { Backend, BackendMerger, EncodedChunk } from './backend';
import { BufferPool, Scratch } from './buffer-pool';

export function createCpuBackend(pool = new BufferPool()): Backend {
  return {
    kind: 'cpu',
    label: 'CPU',
    prefersDecoded: true,
    createMerger: (method, job, inputCount) => Promise.resolve(new CpuMerger(buildMerger(method, job, inputCount), inputCount, pool)),
    dispose: () => Promise.resolve(),
  };
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
    this.merger.reduce(pass, this.decode(inputs, count), start);
    return Promise.resolve();
  }

  endPass(pass: number): Promise<void> {
    this.merger.endPass(pass);
    return Promise.resolve();
  }

  apply(inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array> {
    const out = this.output.f32(count);
    this.merger.apply(this.decode(inputs, count), start, out);
    roundInPlace(roundTo, out);
    return Promise.resolve(out);
  }

  release(): void {
    for (const s of this.scratch) s.release();
    this.output.release();
  }

  private decode(inputs: readonly EncodedChunk[], count: number): Float32Array[] {
    return inputs.map((chunk, i) => decodeChunk(chunk, count, this.scratch[i] as Scratch));
  }
}

/** An encoded chunk as f32 values: in place when it already is aligned f32, else decoded into `scratch`. */
export function decodeChunk(chunk: EncodedChunk, count: number, scratch: Scratch): Float32Array {
  if (chunk.dtype === 'F32' && chunk.bytes.byteOffset % 4 === 0) return new Float32Array(chunk.bytes.buffer, chunk.bytes.byteOffset, count);
  const values = scratch.f32(count);
  decodeToF32(chunk.dtype, chunk.bytes, values);
  return values;
}
