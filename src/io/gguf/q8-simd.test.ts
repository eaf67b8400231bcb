import { afterEach, describe, expect, it } from 'vitest';

import { setWasmEnabled } from '../../shared/wasm';
import { simdEncodeQ8_0 } from './q8-simd';
import { q8BothWays, trickyQ8Values } from './q8-simd.test-support';

afterEach(() => setWasmEnabled(true));

describe('Q8_0 in WebAssembly SIMD', () => {
  it('runs here (so the comparison below is not vacuous)', () => {
    expect(simdEncodeQ8_0(new Float32Array(32), new Uint8Array(34))).toBe(true);
  });

  // Blocks of subnormals (every fifth one) make id overflow to infinity: their products are not finite and give 0.
  it('gives the bytes of the TypeScript loop (ggml reference) on every edge: zeros, halves, NaN, infinities, subnormals', () => {
    const [plain, simd] = q8BothWays(trickyQ8Values());
    expect(Buffer.from(simd).equals(Buffer.from(plain))).toBe(true);
    // Block 2: amax 127 gives d = 1, and -14.5 → -15, 15.5 → 16 (away from zero).
    expect(new Int8Array(simd.buffer, 2 * 34 + 2, 32)[1]).toBe(-15);
    expect(new Int8Array(simd.buffer, 2 * 34 + 2, 32)[31]).toBe(16);
  });
});
