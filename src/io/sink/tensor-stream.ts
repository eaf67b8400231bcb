import { AppError } from '../../shared/errors';
import type { FileSink } from './byte-sink';

/** A tensor's place in a file being streamed: its name and how many bytes it holds. */
export interface StreamedTensor {
  readonly name: string;
  readonly bytes: number;
}

/**
 * The tensor data of one file, streamed onto its sink strictly in order, each tensor in any number of chunks. Nothing
 * is buffered: each chunk goes straight to the sink. A zero-byte tensor needs no write. Wrong order or sizes are bugs
 * in the caller and fail loudly (`E_WRITER_ORDER`) rather than producing a file whose offsets lie. The file formats'
 * writers (safetensors, GGUF) write their header first and hand the rest to this.
 */
export class TensorStream<T extends StreamedTensor> {
  private index = 0;
  private written = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  /** `afterTensor` runs once each tensor is complete (a format's padding goes there). */
  constructor(
    private readonly sink: FileSink,
    private readonly tensors: readonly T[],
    private readonly afterTensor: (tensor: T) => Promise<void> = () => Promise.resolve(),
  ) {}

  /** The tensor the next bytes belong to, or `undefined` when all are written. */
  get next(): T | undefined {
    return this.current();
  }

  /** Appends bytes of tensor `name`. */
  async write(name: string, chunk: Uint8Array): Promise<void> {
    this.checkOpen();
    const tensor = this.current(name);
    if (tensor === undefined || tensor.name !== name) {
      throw this.orderError(`got bytes of ${name} but ${tensor === undefined ? 'every tensor is complete' : `${tensor.name} comes next`}`);
    }
    if (this.written + chunk.byteLength > tensor.bytes) {
      throw this.orderError(`${name} holds ${tensor.bytes} bytes but ${this.written + chunk.byteLength} were written`);
    }
    if (chunk.byteLength > 0) await this.sink.write(chunk);
    this.written += chunk.byteLength;
    if (this.written === tensor.bytes) {
      await this.afterTensor(tensor);
      this.index += 1;
      this.written = 0;
    }
  }

  /** Checks that every tensor is complete, then publishes the file (the sink's close). */
  async finish(): Promise<void> {
    this.checkOpen();
    const missing = this.current();
    if (missing !== undefined) throw this.orderError(`finished before ${missing.name} was written`);
    this.state = 'finished';
    await this.sink.close();
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.sink.abort();
  }

  /** The tensor being written. Zero-byte tensors are stepped over unless `name` is theirs. */
  private current(name?: string): T | undefined {
    for (let tensor = this.tensors[this.index]; tensor !== undefined; tensor = this.tensors[this.index]) {
      if (this.written > 0 || tensor.bytes !== 0 || tensor.name === name) return tensor;
      this.index += 1;
    }
    return undefined;
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw this.orderError(`the file is already ${this.state}`);
  }

  private orderError(what: string): AppError {
    return new AppError('E_WRITER_ORDER', `Internal error writing ${this.sink.name}: ${what}.`, { context: { file: this.sink.name } });
  }
}
