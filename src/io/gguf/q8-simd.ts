/**
 * Q8_0 quantization in WebAssembly SIMD (q8.wat, compiled into q8-wasm.ts), with the bits of encode.ts's TypeScript
 * loop: blocks are copied into the module's memory, quantized there, and copied out; each block's f16 scale is written
 * into the module's output from the f32 scale it leaves (f32ToF16, shared with the loop) before the copy out.
 */
import { lazyWasm, throughHeap } from '../../shared/wasm';
import { f32ToF16 } from '../safetensors/codec';
import { WASM_BASE64 } from './q8-wasm';

interface Q8Exports {
  readonly memory: WebAssembly.Memory;
  quantize_q8_0(src: number, dst: number, scales: number, blocks: number): void;
}

/** Blocks of 32 values per call: 128 KiB of f32 in, 34 KiB out and 4 KiB of scales fit the module's 256 KiB. */
const CALL_BLOCKS = 1024;
const IN = 0;
const OUT = CALL_BLOCKS * 128;
const SCALES = OUT + CALL_BLOCKS * 34;

interface Q8Module {
  readonly exports: Q8Exports;
  readonly heap: Uint8Array;
  readonly scales: Float32Array;
}

const q8Module = lazyWasm(WASM_BASE64, (exports): Q8Module => {
  const q8 = exports as unknown as Q8Exports;
  return { exports: q8, heap: new Uint8Array(q8.memory.buffer), scales: new Float32Array(q8.memory.buffer, SCALES, CALL_BLOCKS) };
});

/** Quantizes `values` (whole blocks of 32) into Q8_0 blocks in `out`; false when SIMD is unavailable (nothing written). */
export function simdEncodeQ8_0(values: Float32Array, out: Uint8Array): boolean {
  const m = q8Module();
  if (m === undefined) return false;
  throughHeap(m.heap, CALL_BLOCKS, values.length / 32, new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 128, IN, out, 34, OUT, (n) => {
    m.exports.quantize_q8_0(IN, OUT, SCALES, n);
    for (let i = 0; i < n; i++) {
      const half = f32ToF16(m.scales[i] as number);
      m.heap[OUT + i * 34] = half & 0xff;
      m.heap[OUT + i * 34 + 1] = half >>> 8;
    }
  });
  return true;
}
