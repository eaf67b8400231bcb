/**
 * A `GPU` for Node from the `webgpu` package (Dawn). Dawn finds an adapter here only through a Vulkan ICD; on machines
 * without a GPU driver that is Chromium's SwiftShader (VK_ICD_FILENAMES, set before the first call). Keep the returned
 * object in a local scope: a global reference keeps Node alive.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';

import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function createNodeGpu(flags: readonly string[] = []): GPU {
  // Only when the machine has no GPU of its own: on a GPU server the real adapter must stay visible.
  if (process.env['VK_ICD_FILENAMES'] === undefined && !hasVulkanDriver() && existsSync(SWIFTSHADER_ICD)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  // The Vulkan loader complains on stderr when there is no runtime dir (headless servers, containers).
  process.env['XDG_RUNTIME_DIR'] ??= mkdtempSync(join(tmpdir(), 'merge-studio-xdg-'));
  // WebGPU's constant namespaces (GPUBufferUsage, GPUMapMode, ...) are globals in browsers; Dawn provides them.
  Object.assign(globalThis, globals);
  return create([...flags]);
}

/** Whether the machine has a GPU device node (NVIDIA, or a DRM render node for AMD/Intel) for a Vulkan driver to use. */
function hasVulkanDriver(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
}

/**
 * Gives a software adapter's threads first claim on the cores. Dawn's Node binding waits for GPU work (mapAsync,
 * pipeline compilation) by polling its events from the main thread in a setImmediate loop, which keeps a core busy for
 * as long as a readback is pending; on SwiftShader that core is taken from the threads that run the kernels (measured:
 * the main thread used ~45 % of the process's CPU time while sub-chunks computed). This lowers the calling (main)
 * thread to the lowest priority (nice 19); SwiftShader's threads, started with the device, keep theirs. Call it once the
 * software device exists and only where no CPU worker threads start afterwards: they would inherit the priority, and an
 * unprivileged process cannot raise it again. It also paces Dawn's polling ({@link paceGpuPolling}) unless told not to.
 */
export function yieldToSoftwareGpu(options: { readonly pacePolling?: boolean } = {}): void {
  try {
    setPriority(19);
  } catch {
    // Not permitted here: the polling keeps its share.
  }
  // Unless the caller times single round trips (the bench's per-sub-chunk yardstick), Dawn's polling is paced too.
  if (options.pacePolling !== false) paceGpuPolling();
}

/** The global `setImmediate` before {@link paceGpuPolling} replaced it (undefined until then). */
let unpaced: typeof setImmediate | undefined;

/**
 * Paces Dawn's event polling for a software adapter. While any GPU work is pending, Dawn's Node binding calls the
 * global `setImmediate` with a fresh native callback that polls once and schedules the next: about 100 000 polls a
 * second (5 409 while one pipeline compiled in 53 ms), each leaving a function and an `Immediate` behind — 200 MB of
 * garbage in a 3 s slerp of 2 × 400 MB, and 0.4 s of garbage collection on the thread that submits the GPU work. This
 * runs those native callbacks on a timer instead (at most one poll per millisecond); callbacks written in JavaScript
 * keep `setImmediate`. A finished readback is then noticed up to a millisecond late, which the staging ring hides when
 * sub-chunks take several milliseconds, as on a software adapter; a hardware GPU finishes a sub-chunk sooner, so keep
 * its polling as it is. Measured on SwiftShader, 2 × 400 MB slerp, three runs each, alternating: 2.69–2.96 → 2.36–2.53 s,
 * CPU time −13 %.
 */
export function paceGpuPolling(): void {
  if (unpaced !== undefined) return;
  const immediate = globalThis.setImmediate;
  unpaced = immediate;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate => {
    if (!isNative(callback)) return immediate(callback, ...args);
    // Dawn never clears its polls, so the handle's type does not matter to it.
    return setTimeout(callback, 1, ...args) as unknown as NodeJS.Immediate;
  };
  globalThis.setImmediate = Object.assign(paced, { __promisify__: immediate.__promisify__ }) as typeof setImmediate;
}

/** Undoes {@link paceGpuPolling} (tests). */
export function unpaceGpuPolling(): void {
  if (unpaced === undefined) return;
  globalThis.setImmediate = unpaced;
  unpaced = undefined;
}

/** Whether `f` is implemented natively (Dawn's polling callbacks are) rather than in JavaScript. */
function isNative(f: unknown): boolean {
  return typeof f === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));
}
