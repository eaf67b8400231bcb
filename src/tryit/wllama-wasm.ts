/** The wllama WebAssembly binary, served by Vite from node_modules (no CDN). */
import wasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';

export const WLLAMA_ASSETS = { default: wasmUrl } as const;
