/**
 * Where a WebGPU sub-chunk's time goes (`gpu-phases` case): on one sub-chunk of two bf16 inputs (the backend's default
 * size, 1 Mi elements), each phase timed alone on the same device, best of several rounds — the upload of both
 * inputs, the whole op (upload, kernel, readback and the host's widening or f64 partial sums), and the readback of an
 * output of the op's size — and the kernel as what the whole op takes beyond the two.
 */
import { createNodeGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { nearswapOp, slerpStatsOp, weightedSumOp } from '../src/gpu/ops';
import { BLOCK, GpuRuntime, resultOf } from '../src/gpu/runtime';
import { addPartials } from '../src/engine/webgpu-session';
import type { CaseResult } from './measure';

const ROUNDS = 7;

async function best(work: () => Promise<unknown>): Promise<number> {
  await work();
  let fastest = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await work();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

export async function gpuPhases(args: Record<string, string | number>): Promise<CaseResult> {
  const count = Number(args['elements'] ?? 1 << 20);
  const rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
  try {
    const bytes = (seed: number) => Uint8Array.from({ length: count * 2 }, (_, i) => Math.imul(i + seed, 2654435761) >>> 24);
    const inputs = [{ dtype: 'BF16' as const, bytes: bytes(0) }, { dtype: 'BF16' as const, bytes: bytes(7) }];
    // Each phase alone: a job with only the uploads, or only an output buffer and its readback.
    const upload = await best(() => resultOf(rt.submit('upload', (job) => Promise.resolve(job.readback([job.upload(inputs[0]!.bytes, 'a'), job.upload(inputs[1]!.bytes, 'b')].slice(0, 0))))));
    const readback = (outBytes: number) => best(() => resultOf(rt.submit('readback', (job) => Promise.resolve(job.readback([job.storage(outBytes, 'out')])))));
    const sums = [0, 0, 0];
    const ops: [string, () => Promise<unknown>, number][] = [
      ['nearswap', () => resultOf(nearswapOp(rt, inputs, count, 0, 1, 0.001, 'BF16')), count * 2],
      ['slerp pass 1 (statistics)', async () => addPartials(sums, await resultOf(slerpStatsOp(rt, inputs, count, 0, 1))), (count / BLOCK) * 12],
      ['slerp pass 2 (weighted sum)', () => resultOf(weightedSumOp(rt, inputs, count, [0.4, 0.6], 1, 'BF16')), count * 2],
    ];
    const parts: string[] = [];
    let seconds = 0;
    for (const [name, op, outBytes] of ops) {
      const whole = await best(op);
      const back = await readback(outBytes);
      seconds += whole / 1000;
      parts.push(`${name} ${whole.toFixed(1)} ms = upload ${upload.toFixed(1)} + kernel ~${Math.max(0, whole - upload - back).toFixed(1)} + readback ${back.toFixed(1)}`);
    }
    return { inputBytes: 3 * count * 4, seconds, note: `per sub-chunk of ${count} elements × 2 bf16 inputs, ${rt.label}: ${parts.join('; ')}` };
  } finally {
    rt.destroy();
  }
}
