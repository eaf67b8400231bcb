/** Q8_0 values that exercise its edges, and the bytes of the TypeScript loop and of WebAssembly SIMD for them. */
import { setWasmEnabled } from '../../shared/wasm';
import { encodeQ8_0 } from './encode';

/** `values` quantized by the TypeScript loop and by WebAssembly SIMD. */
export function q8BothWays(values: Float32Array): [Uint8Array, Uint8Array] {
  const plain = new Uint8Array((values.length / 32) * 34);
  const simd = new Uint8Array(plain.length);
  setWasmEnabled(false);
  encodeQ8_0(values, plain);
  setWasmEnabled(true);
  encodeQ8_0(values, simd);
  return [plain, simd];
}

/** Blocks that exercise Q8_0's edges, then seeded values at several magnitudes; 1 500 blocks (more than one call). */
export function trickyQ8Values(): Float32Array {
  const values = new Float32Array(1500 * 32);
  let state = 7;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const scale = [1e-3, 0.02, 1, 300, 1e-40][(i >> 5) % 5] as number;
    values[i] = ((state / 2 ** 32) * 2 - 1) * scale;
  }
  const block = (b: number, fill: (j: number) => number) => {
    for (let j = 0; j < 32; j++) values[b * 32 + j] = fill(j);
  };
  block(0, () => 0);
  block(1, (j) => (j % 2 === 0 ? -0 : 0));
  // x · id lands on k + 1/2 (amax 127 → id 1): halves go away from zero, both signs.
  block(2, (j) => (j === 0 ? 127 : (j - 16) + 0.5));
  block(3, (j) => (j === 5 ? Number.NaN : j));
  block(4, (j) => (j === 9 ? Number.POSITIVE_INFINITY : j === 10 ? Number.NEGATIVE_INFINITY : j));
  block(5, (j) => (j === 31 ? -1 : 0));
  block(6, (j) => Math.fround(0.49999997) * (j % 3 === 0 ? -1 : 1) + (j === 0 ? 126.5 : 0));
  return values;
}
