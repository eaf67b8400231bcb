/**
 * Freeing read buffers in the browser. Chromium hands each `Blob.arrayBuffer()` result and each body-stream chunk to V8
 * as memory it did not allocate itself, which never prompts a garbage collection however much of it piles up. A
 * buffer V8 allocates itself does, once the young generation holds more than a few semi-spaces of buffers: a quick
 * minor collection then frees the dead ones. Readers call this after every {@link NUDGE_EVERY_BYTES} they have copied
 * out and dropped (measured in a worker, 40 reads of 90 MB into one buffer: 16 MiB `arrayBuffer()` pieces peaked at
 * 705 MB of renderer memory, 207 MB with this call after each; a body stream's default reader 577 → 264 MB).
 */
export function letYoungBuffersGo(): void {
  nudged.buffer = new ArrayBuffer(8);
}

/** Bytes a reader copies out between two {@link letYoungBuffersGo} calls. */
export const NUDGE_EVERY_BYTES = 16 * 1024 * 1024;

/** Kept reachable, so the allocation cannot be optimised away. */
const nudged: { buffer?: ArrayBuffer } = {};
