/**
 * The bf16 codecs in WebAssembly SIMD (codec.wat, compiled into codec-wasm.ts): about four times the speed of the
 * TypeScript loops in codec.ts on the machines we measured, with the same bits. Data passes through the module's
 * memory in blocks: copy in, convert, copy out; the copies are cache-resident and cheap next to the conversion.
 */
import { lazyWasm } from '../../shared/wasm';
import { WASM_BASE64 } from './codec-wasm';

interface CodecExports {
  readonly memory: WebAssembly.Memory;
  decode_bf16(src: number, dst: number, count: number): void;
  encode_bf16(src: number, dst: number, count: number): void;
  round_bf16(at: number, count: number): void;
}

/** Elements per call: the module's 256 KiB memory holds one block in (up to f32) and one block out. */
const BLOCK = 16 * 1024;
const IN = 0;
const OUT = BLOCK * 4;

interface CodecModule {
  readonly exports: CodecExports;
  readonly heap: Uint8Array;
}

const codecModule = lazyWasm(WASM_BASE64, (exports): CodecModule => {
  const codec = exports as unknown as CodecExports;
  return { exports: codec, heap: new Uint8Array(codec.memory.buffer) };
});

/** Whether the SIMD codecs run here. */
export function codecSimdAvailable(): boolean {
  return codecModule() !== undefined;
}

/** bf16 `bytes` (2 per element, any alignment) → `out`; false when SIMD is unavailable (nothing written). */
export function simdDecodeBf16(bytes: Uint8Array, out: Float32Array): boolean {
  const m = codecModule();
  if (m === undefined) return false;
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.length * 4);
  for (let at = 0; at < out.length; at += BLOCK) {
    const n = Math.min(BLOCK, out.length - at);
    m.heap.set(bytes.subarray(at * 2, (at + n) * 2), IN);
    m.exports.decode_bf16(IN, OUT, n);
    outBytes.set(m.heap.subarray(OUT, OUT + n * 4), at * 4);
  }
  return true;
}

/** `values` → bf16 bytes in `out` (any alignment), rounding to nearest even; false when SIMD is unavailable. */
export function simdEncodeBf16(values: Float32Array, out: Uint8Array): boolean {
  const m = codecModule();
  if (m === undefined) return false;
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.length * 4);
  for (let at = 0; at < values.length; at += BLOCK) {
    const n = Math.min(BLOCK, values.length - at);
    m.heap.set(valueBytes.subarray(at * 4, (at + n) * 4), IN);
    m.exports.encode_bf16(IN, OUT, n);
    out.set(m.heap.subarray(OUT, OUT + n * 2), at * 2);
  }
  return true;
}

/** Rounds `values` in place to the nearest bf16 values; false when SIMD is unavailable. */
export function simdRoundBf16(values: Float32Array): boolean {
  const m = codecModule();
  if (m === undefined) return false;
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.length * 4);
  for (let at = 0; at < values.length; at += BLOCK) {
    const n = Math.min(BLOCK, values.length - at);
    m.heap.set(valueBytes.subarray(at * 4, (at + n) * 4), IN);
    m.exports.round_bf16(IN, n);
    valueBytes.set(m.heap.subarray(IN, IN + n * 4), at * 4);
  }
  return true;
}
