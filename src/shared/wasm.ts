/**
 * Loads the project's small WebAssembly modules (generated `*-wasm.ts` files carry their bytes as base64). They use
 * SIMD, which every browser with WebGPU runs; where a platform cannot, callers get `undefined` and keep their
 * TypeScript loops, which compute the same bits.
 */

let enabled = true;

/** Turns the WebAssembly paths off or on (tests and the bench compare both; the results are identical). */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

export function wasmEnabled(): boolean {
  return enabled;
}

/** A compiled and instantiated module, or `undefined` where WebAssembly (SIMD) is unavailable. */
export function instantiateWasm(base64: string): WebAssembly.Instance | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return undefined;
  // Synchronous compilation is fine at this size (a few KiB), even on a browser's main thread.
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
}

/**
 * One module instantiated on first use (per thread), or `null` where it cannot run; {@link setWasmEnabled}(false)
 * hides it without forgetting it.
 */
export function lazyWasm<T>(base64: string, wrap: (exports: WebAssembly.Exports) => T): () => T | undefined {
  let loaded: T | null | undefined;
  return () => {
    if (!enabled) return undefined;
    if (loaded === undefined) {
      const instance = instantiateWasm(base64);
      loaded = instance === undefined ? null : wrap(instance.exports);
    }
    return loaded ?? undefined;
  };
}

/**
 * Converts `count` units block by block (at most `block` units a call) through a module's memory `heap`: `inWidth`
 * bytes a unit from `input` into the heap at `inAt`, `convert(n)`, then `outWidth` bytes a unit from the heap at
 * `outAt` into `output`. The copies are cache-resident and cheap next to the conversion.
 */
export function throughHeap(
  heap: Uint8Array,
  block: number,
  count: number,
  input: Uint8Array,
  inWidth: number,
  inAt: number,
  output: Uint8Array,
  outWidth: number,
  outAt: number,
  convert: (n: number) => void,
): void {
  for (let at = 0; at < count; at += block) {
    const n = Math.min(block, count - at);
    heap.set(input.subarray(at * inWidth, (at + n) * inWidth), inAt);
    convert(n);
    output.set(heap.subarray(outAt, outAt + n * outWidth), at * outWidth);
  }
}
