/**
 * The bf16 codecs and the f16 encoder in WebAssembly SIMD (codec.wat, compiled into codec-wasm.ts): about four times the speed of the
 * TypeScript loops in codec.ts on the machines we measured, with the same bits. Data passes through the module's
 * memory in blocks: copy in, convert, copy out; the copies are cache-resident and cheap next to the conversion.
 */
import { lazyWasm, throughHeap } from '../../shared/wasm';
import { WASM_BASE64 } from './codec-wasm';

interface CodecExports {
  readonly memory: WebAssembly.Memory;
  decode_bf16(src: number, dst: number, count: number): void;
  encode_bf16(src: number, dst: number, count: number): void;
  encode_f16(src: number, dst: number, count: number): void;
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
  return blockwise(out.length, bytes, 2, bytesOf(out), 4, (m, n) => m.exports.decode_bf16(IN, OUT, n));
}

/** `values` → bf16 bytes in `out` (any alignment), rounding to nearest even; false when SIMD is unavailable. */
export function simdEncodeBf16(values: Float32Array, out: Uint8Array): boolean {
  return blockwise(values.length, bytesOf(values), 4, out, 2, (m, n) => m.exports.encode_bf16(IN, OUT, n));
}

/** `values` → f16 bytes in `out` (any alignment), rounding to nearest even; false when SIMD is unavailable. */
export function simdEncodeF16(values: Float32Array, out: Uint8Array): boolean {
  return blockwise(values.length, bytesOf(values), 4, out, 2, (m, n) => m.exports.encode_f16(IN, OUT, n));
}

/** Rounds `values` in place to the nearest bf16 values; false when SIMD is unavailable. */
export function simdRoundBf16(values: Float32Array): boolean {
  const bytes = bytesOf(values);
  return blockwise(values.length, bytes, 4, bytes, 4, (m, n) => m.exports.round_bf16(IN, n), IN);
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.length * 4);
}

/** {@link throughHeap} with the codec module (false when SIMD is unavailable: nothing converted). */
function blockwise(count: number, input: Uint8Array, inWidth: number, output: Uint8Array, outWidth: number, convert: (m: CodecModule, n: number) => void, outAt = OUT): boolean {
  const m = codecModule();
  if (m === undefined) return false;
  throughHeap(m.heap, BLOCK, count, input, inWidth, IN, output, outWidth, outAt, (n) => convert(m, n));
  return true;
}
