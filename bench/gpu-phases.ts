import { createNodeGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { GpuRuntime, resultOf } from '../src/gpu/runtime';
import { nearswapOp, slerpStatsOp, weightedSumOp, castOp } from '../src/gpu/ops';

const gpu = createNodeGpu();
const rt = await GpuRuntime.open(gpu, nodeShaderLibrary(), {});
const n = Number(process.argv[2] ?? 1 << 20);
const bytes = new Uint8Array(n * 2);
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
const inputs = [{ dtype: 'BF16' as const, bytes }, { dtype: 'BF16' as const, bytes: bytes.slice() }];
async function time(label: string, f: () => Promise<unknown>, reps = 5) {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  const ms = (performance.now() - t0) / reps;
  console.log(label.padEnd(30), ms.toFixed(1), 'ms', ((n * 4) / ms / 1e6).toFixed(3), 'GB/s input');
}
await time('cast 1 input', () => resultOf(castOp(rt, inputs[0]!, n, 'BF16')));
await time('nearswap', () => resultOf(nearswapOp(rt, inputs, n, 0, 1, 0.001, 'BF16')));
await time('slerp stats', () => resultOf(slerpStatsOp(rt, inputs, n, 0, 1)));
await time('weighted sum', () => resultOf(weightedSumOp(rt, inputs, n, [0.5, 0.5], 1, 'BF16')));
await time('empty submit+map', async () => { const b = rt.device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ }); await b.mapAsync(GPUMapMode.READ); b.unmap(); b.destroy(); });
const big = rt.device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
await time('writeBuffer n*4 + done', async () => { rt.device.queue.writeBuffer(big, 0, new Uint8Array(n * 4)); await rt.device.queue.onSubmittedWorkDone(); });
const st = rt.device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
await time('copy+map n*4', async () => { const e = rt.device.createCommandEncoder(); e.copyBufferToBuffer(big, 0, st, 0, n * 4); rt.device.queue.submit([e.finish()]); await st.mapAsync(GPUMapMode.READ); st.getMappedRange().slice(0); st.unmap(); });
rt.destroy();
