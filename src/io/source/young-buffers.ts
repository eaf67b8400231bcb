/**
 * Freeing read buffers in the browser. Chromium hands each `Blob.arrayBuffer()` result and each body-stream chunk to V8
 * as memory it did not allocate itself, which never prompts a garbage collection however much of it piles up. A
 * buffer V8 allocates itself does, once the young generation holds more than a few semi-spaces of buffers: a quick
 * minor collection then frees the dead ones. Readers report the bytes they copy out and drop ({@link droppedReadBuffers});
 * every {@link NUDGE_EVERY_BYTES} one tiny buffer is allocated (measured in a worker, 40 reads of 90 MB into one
 * buffer: 16 MiB `arrayBuffer()` pieces peaked at 705 MB of renderer memory, 207 MB with a nudge after each; a body
 * stream's default reader 577 → 264 MB).
 */

/** Bytes a reader copies out and drops between two nudges. */
export const NUDGE_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * Notes `bytes` of fresh read buffers copied out and dropped; every {@link NUDGE_EVERY_BYTES} of them, in this thread
 * (one heap, whichever reader dropped them), one tiny buffer is allocated.
 */
export function droppedReadBuffers(bytes: number): void {
  sinceNudge += bytes;
  if (sinceNudge < NUDGE_EVERY_BYTES) return;
  sinceNudge = 0;
  nudged.buffer = new ArrayBuffer(8);
}

let sinceNudge = 0;
/** Kept reachable, so the nudge's allocation cannot be optimised away. */
const nudged: { buffer?: ArrayBuffer } = {};
