/**
 * Node test set-up. Dawn (the `webgpu` package) finds a Vulkan adapter only through Chromium's bundled
 * SwiftShader ICD; point the loader there before the first `create()`. A private XDG_RUNTIME_DIR keeps the Vulkan
 * loader from printing "XDG_RUNTIME_DIR is invalid" on every adapter request.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env['XDG_RUNTIME_DIR'] === undefined) {
  const dir = join(tmpdir(), `merge-studio-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env['XDG_RUNTIME_DIR'] = dir;
}
