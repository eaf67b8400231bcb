/**
 * f32 values → GGUF tensor bytes. F32/F16/BF16 reuse the safetensors codecs (round-to-nearest-even, as numpy and ggml
 * do). Q8_0 restates ggml's reference quantizer (`quantize_row_q8_0_ref`) with f32 arithmetic at every step, so the
 * bytes equal llama.cpp's converter and `llama-quantize` output.
 */
import { assert } from '../../shared/assert';
import { encodeFromF32, f32ToF16 } from '../safetensors/codec';
import { simdEncodeQ8_0 } from './q8-simd';
import type { GgufTensorType } from './types';
import { tensorDataBytes } from './types';

const Q8_BLOCK = 32;
const fround = Math.fround;

/** C `roundf`: halves away from zero (JS `Math.round` sends -2.5 to -2). */
function roundAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** Quantizes `values` (a multiple of 32) into Q8_0 blocks: f16 scale then 32 signed bytes. */
export function encodeQ8_0(values: Float32Array, out: Uint8Array): void {
  assert(values.length % Q8_BLOCK === 0, 'Q8_0 needs whole blocks of 32');
  // The same bits in WebAssembly SIMD where it runs (q8-simd.ts); this loop is its reference and fallback.
  if (simdEncodeQ8_0(values, out)) return;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0, at = 0; b < values.length; b += Q8_BLOCK, at += 34) {
    let amax = 0;
    for (let j = 0; j < Q8_BLOCK; j++) amax = Math.max(amax, Math.abs(values[b + j] as number));
    const d = fround(amax / 127);
    const id = d !== 0 ? fround(1 / d) : 0;
    view.setUint16(at, f32ToF16(d), true);
    for (let j = 0; j < Q8_BLOCK; j++) view.setInt8(at + 2 + j, roundAway(fround((values[b + j] as number) * id)));
  }
}

export function encodeGguf(type: GgufTensorType, values: Float32Array, out: Uint8Array): void {
  assert(out.byteLength === tensorDataBytes(type, values.length), `GGUF ${type} encode size`);
  if (type === 'Q8_0') encodeQ8_0(values, out);
  else encodeFromF32(type, values, out);
}

/**
 * HF stores each head's q/k rows in rotate-half order; llama.cpp's `llama` rope rotates adjacent pairs. Reorders the
 * rows of one head group in place: row `2i + j` of the result is row `j·d/2 + i` of the input (d = rows per head).
 */
export function permuteHeadRows(values: Float32Array, rowsPerHead: number, cols: number, scratch?: Float32Array): void {
  const half = rowsPerHead / 2;
  // `scratch` (at least `values.length`) spares a copy per head when a stream reorders many of them.
  const copy = scratch === undefined ? values.slice() : scratch.subarray(0, values.length);
  if (scratch !== undefined) copy.set(values);
  for (let i = 0; i < half; i++) {
    for (let j = 0; j < 2; j++) values.set(copy.subarray((j * half + i) * cols, (j * half + i + 1) * cols), (2 * i + j) * cols);
  }
}

export interface RowStreamSpec {
  readonly type: GgufTensorType;
  readonly count: number;
  /** Values per row (innermost dimension). */
  readonly cols: number;
  /** When set, the rows are q/k heads of this many rows each, reordered for llama.cpp's rope. */
  readonly rowsPerHead?: number;
}

/**
 * Turns a tensor's f32 values, arriving in chunks of any size, into GGUF bytes: values gather until a whole unit (a
 * head of rows when permuting, else a Q8_0 block) is there, so memory stays at one unit plus one chunk.
 */
export class GgufRowStream {
  private readonly unit: number;
  private readonly pending: Float32Array;
  /** Room for one head while its rows are reordered (permuting streams only). */
  private readonly scratch: Float32Array | undefined;
  private filled = 0;
  private seen = 0;

  constructor(
    private readonly spec: RowStreamSpec,
    private readonly emit: (bytes: Uint8Array) => Promise<void>,
  ) {
    this.unit = spec.rowsPerHead !== undefined ? spec.rowsPerHead * spec.cols : spec.type === 'Q8_0' ? Q8_BLOCK : 1;
    assert(spec.count % this.unit === 0, 'tensor is whole units');
    this.pending = new Float32Array(Math.max(this.unit, spec.rowsPerHead === undefined ? 1 << 16 : this.unit));
    this.scratch = spec.rowsPerHead === undefined ? undefined : new Float32Array(this.unit);
  }

  async push(values: Float32Array): Promise<void> {
    this.seen += values.length;
    assert(this.seen <= this.spec.count, 'more values than the tensor holds');
    let at = 0;
    while (at < values.length) {
      const take = Math.min(values.length - at, this.pending.length - this.filled);
      this.pending.set(values.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.pending.length || this.seen === this.spec.count) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    const whole = this.filled - (this.filled % this.unit);
    if (whole === 0) return;
    const ready = this.pending.subarray(0, whole);
    if (this.spec.rowsPerHead !== undefined) {
      for (let h = 0; h < whole; h += this.unit) permuteHeadRows(ready.subarray(h, h + this.unit), this.spec.rowsPerHead, this.spec.cols, this.scratch);
    }
    const out = new Uint8Array(tensorDataBytes(this.spec.type, whole));
    encodeGguf(this.spec.type, ready, out);
    await this.emit(out);
    this.pending.copyWithin(0, whole, this.filled);
    this.filled -= whole;
  }
}
