import { createNodeGpu } from '../src/gpu/node-gpu';
const gpu = createNodeGpu();
const adapter = (await gpu.requestAdapter())!;
const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
const n = Number(process.argv[2] ?? 1 << 20);
const src = device.createBuffer({ size: n * 2, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const dst = device.createBuffer({ size: n * 4 * 2, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
async function run(label: string, code: string, invocations: number, wg = 256) {
  const p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
  const go = async () => { const e = device.createCommandEncoder(); const pass = e.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); const g = Math.ceil(invocations / wg); pass.dispatchWorkgroups(Math.min(g, 65535), Math.ceil(g / 65535)); pass.end(); device.queue.submit([e.finish()]); await device.queue.onSubmittedWorkDone(); };
  await go(); const t0 = performance.now(); for (let i = 0; i < 5; i++) await go();
  console.log(label.padEnd(40), ((performance.now() - t0) / 5).toFixed(1), 'ms');
}
const head = `@group(0) @binding(0) var<storage, read> src: array<u32>;\n@group(0) @binding(1) var<storage, read_write> dst: array<u32>;\n`;
await run('decode 1/inv', head + `@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) { let i = g.y * nw.x * 256u + g.x; if (i < ${n}u) { dst[i] = ((src[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu) << 16u; } }`, n);
await run('decode 2/inv (word)', head + `@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) { let w = g.y * nw.x * 256u + g.x; if (w < ${n / 2}u) { let v = src[w]; dst[2u*w] = v << 16u; dst[2u*w+1u] = v & 0xffff0000u; } }`, n / 2);
await run('decode 8/inv (4 words)', head + `@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) { let w = g.y * nw.x * 256u + g.x; if (w < ${n / 8}u) { for (var k = 0u; k < 4u; k++) { let v = src[4u*w+k]; dst[8u*w+2u*k] = v << 16u; dst[8u*w+2u*k+1u] = v & 0xffff0000u; } } }`, n / 8);
await run('decode 2/inv wg64', head + `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) { let w = g.y * nw.x * 64u + g.x; if (w < ${n / 2}u) { let v = src[w]; dst[2u*w] = v << 16u; dst[2u*w+1u] = v & 0xffff0000u; } }`, n / 2, 64);
await run('decode strided loop 64 wg', head + `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) { let total = nw.x * 64u; for (var w = g.x; w < ${n / 2}u; w += total) { let v = src[w]; dst[2u*w] = v << 16u; dst[2u*w+1u] = v & 0xffff0000u; } }`, 64 * 64, 64);
