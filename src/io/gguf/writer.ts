import type { FileSink } from '../sink/byte-sink';
import { TensorStream } from '../sink/tensor-stream';
import type { GgufFileLayout, GgufTensorSlot } from './layout';
import { GGUF_ALIGNMENT } from './types';

const ZEROS = new Uint8Array(GGUF_ALIGNMENT);

/**
 * Streams one GGUF file: the header first, then each tensor's bytes in layout order (any number of chunks), with the
 * alignment padding after each. Wrong order or sizes are caller bugs and fail loudly (`E_WRITER_ORDER`).
 */
export class GgufFileWriter {
  private constructor(
    private readonly layout: GgufFileLayout,
    private readonly stream: TensorStream<GgufTensorSlot>,
  ) {}

  static async open(sink: FileSink, layout: GgufFileLayout): Promise<GgufFileWriter> {
    await sink.write(layout.header);
    const padAfter = async (slot: GgufTensorSlot) => {
      const padding = (GGUF_ALIGNMENT - (slot.bytes % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
      if (padding > 0) await sink.write(ZEROS.subarray(0, padding));
    };
    return new GgufFileWriter(layout, new TensorStream(sink, layout.tensors, padAfter));
  }

  get file(): string {
    return this.layout.file;
  }

  /** Whether every tensor is complete. */
  get complete(): boolean {
    return this.stream.next === undefined;
  }

  write(name: string, chunk: Uint8Array): Promise<void> {
    return this.stream.write(name, chunk);
  }

  finish(): Promise<void> {
    return this.stream.finish();
  }

  abort(): Promise<void> {
    return this.stream.abort();
  }
}
