/**
 * A `GPU` for Node from the `webgpu` package (Dawn). Dawn finds an adapter here only through a Vulkan ICD; on machines
 * without a GPU driver that is Chromium's SwiftShader (VK_ICD_FILENAMES, set before the first call). Keep the returned
 * object in a local scope: a global reference keeps Node alive.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
