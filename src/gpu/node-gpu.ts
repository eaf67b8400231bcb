/**
 * A `GPU` for Node from the `webgpu` package (Dawn). Dawn finds an adapter here only through a Vulkan ICD; on machines
 * without a GPU driver that is Chromium's SwiftShader (VK_ICD_FILENAMES, set before the first call). Keep the returned
 * object in a local scope: a global reference keeps Node alive.
 */
import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function createNodeGpu(flags: readonly string[] = []): GPU {
  process.env['VK_ICD_FILENAMES'] ??= SWIFTSHADER_ICD;
  // WebGPU's constant namespaces (GPUBufferUsage, GPUMapMode, ...) are globals in browsers; Dawn provides them.
  Object.assign(globalThis, globals);
  return create([...flags]);
}
