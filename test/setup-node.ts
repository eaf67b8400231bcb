/**
 * Node test set-up. Dawn (the `webgpu` package) finds a Vulkan adapter only through Chromium's bundled
 * SwiftShader ICD; point the loader there before the first `create()`.
 */
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
