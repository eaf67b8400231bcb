import { AppError } from '../../shared/errors';
import type { FileSink } from '../sink/byte-sink';
import type { GgufFileLayout } from './layout';
import { GGUF_ALIGNMENT } from './types';

const ZEROS = new Uint8Array(GGUF_ALIGNMENT);

/**
 * Streams one GGUF file: the header first, then each tensor's bytes in layout order (any number of chunks), with the
 * alignment padding after each. Wrong order or sizes are caller bugs and fail loudly (`E_WRITER_ORDER`).
 */
export class GgufFileWriter {
  private index = 0;
  private written = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(
    private readonly sink: FileSink,
    private readonly layout: GgufFileLayout,
  ) {}

  static async open(sink: FileSink, layout: GgufFileLayout): Promise<GgufFileWriter> {
    await sink.write(layout.header);
    return new GgufFileWriter(sink, layout);
  }

  get file(): string {
    return this.layout.file;
  }

  /** Whether every tensor is complete. */
  get complete(): boolean {
    return this.index === this.layout.tensors.length;
  }

  async write(name: string, chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw this.orderError(`the file is already ${this.state}`);
    const slot = this.layout.tensors[this.index];
    if (slot === undefined || slot.name !== name) throw this.orderError(`got bytes of ${name} but ${slot === undefined ? 'every tensor is complete' : `${slot.name} comes next`}`);
    if (this.written + chunk.byteLength > slot.bytes) throw this.orderError(`${name} holds ${slot.bytes} bytes but ${this.written + chunk.byteLength} were written`);
    if (chunk.byteLength > 0) await this.sink.write(chunk);
    this.written += chunk.byteLength;
    if (this.written === slot.bytes) {
      const padding = (GGUF_ALIGNMENT - (slot.bytes % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
      if (padding > 0) await this.sink.write(ZEROS.subarray(0, padding));
      this.index += 1;
      this.written = 0;
    }
  }

  async finish(): Promise<void> {
    if (!this.complete) throw this.orderError(`finished before ${this.layout.tensors[this.index]?.name ?? '?'} was written`);
    this.state = 'finished';
    await this.sink.close();
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.sink.abort();
  }

  private orderError(what: string): AppError {
    return new AppError('E_WRITER_ORDER', `Internal error writing ${this.layout.file}: ${what}.`, { context: { file: this.layout.file } });
  }
}
