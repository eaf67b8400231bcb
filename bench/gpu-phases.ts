/**
 * Where a WebGPU sub-chunk's time goes (`gpu-phases` case), on one sub-chunk of two bf16 inputs (the backend's default
 * size, 1 Mi elements), each phase timed alone on the same device, best of several rounds:
 *
 * - the upload of both inputs; the readback of an output of the op's size (GPU → host), and the host's share of it
 *   (widening packed bf16 halves to f32; for slerp's statistics, adding the per-block partials in f64);
 * - the round trip of one dispatch on a tiny input (submission, one workgroup, map): the per-dispatch overhead;
 * - each whole op (upload, kernel, readback, host work), the kernel being what it takes beyond the other phases;
 * - a plain element-wise kernel (bench/shaders/add_encoded.wgsl: a + b through the ops' own loads and output packing),
 *   the yardstick of the issue's target: each op's GB/s of input is printed beside it as a ratio (≥ 0.5 wanted).
 *
 * The case's own figure (inputBytes / seconds) is the plain kernel's rate, for bench/run.ts to hold the end-to-end
 * merges against.
 */
import { readFileSync } from 'node:fs';

import { bindEncoded, pairInvocations, pairOutput, readbackEncoded } from '../src/gpu/kernels/encoded';
import { createNodeGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { nearswapOp, slerpStatsOp, weightedSumOp } from '../src/gpu/ops';
import { BLOCK, DTYPE_CODE, GpuRuntime, resultOf, uniformBlock } from '../src/gpu/runtime';
import type { EncodedInput, Readback } from '../src/gpu/runtime';
import { addPartials } from '../src/engine/webgpu-session';
import type { CaseResult } from './measure';

const ROUNDS = 7;
const PLAIN = 'bench/add_encoded.wgsl';

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

/** The plain kernel: a + b of two encoded inputs, rounded to bf16, read back as the ops read theirs. */
function plainOp(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number): Promise<Readback<Float32Array>> {
  return rt.submit('plain a + b', async (job) => {
    const { bindings, constants } = bindEncoded(job, a, b);
    const out = pairOutput(job, count, 'BF16');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch(PLAIN, { ...constants, OUT_DTYPE: DTYPE_CODE.BF16 }, [...bindings, out, params], pairInvocations(count));
    return readbackEncoded(job, out, count, 'BF16');
  });
}

export async function gpuPhases(args: Record<string, string | number>): Promise<CaseResult> {
  const count = Number(args['elements'] ?? 1 << 20);
  const shaders = { ...nodeShaderLibrary(), [PLAIN]: readFileSync(new URL('./shaders/add_encoded.wgsl', import.meta.url), 'utf8') };
  const rt = await GpuRuntime.open(createNodeGpu(), shaders);
  try {
    const bytes = (seed: number) => Uint8Array.from({ length: count * 2 }, (_, i) => Math.imul(i + seed, 2654435761) >>> 24);
    const [a, b] = [{ dtype: 'BF16' as const, bytes: bytes(0) }, { dtype: 'BF16' as const, bytes: bytes(7) }];
    const inputBytes = a.bytes.byteLength + b.bytes.byteLength;
    // Each phase alone: a job with only the uploads, or only an output buffer and its readback.
    const upload = await best(() => resultOf(rt.submit('upload', (job) => Promise.resolve(job.readback([job.upload(a.bytes, 'a'), job.upload(b.bytes, 'b')].slice(0, 0))))));
    const readback = (outBytes: number) => best(() => resultOf(rt.submit('readback', (job) => Promise.resolve(job.readback([job.storage(outBytes, 'out')])))));
    const widened = await best(() => resultOf(rt.submit('readback', (job) => Promise.resolve(readbackEncoded(job, pairOutput(job, count, 'BF16'), count, 'BF16')))));
    const partials = new Float32Array((count / BLOCK) * 3).fill(1);
    const combine = await best(() => Promise.resolve(addPartials([0, 0, 0], partials)));
    const tiny = { dtype: 'BF16' as const, bytes: a.bytes.subarray(0, 2 * BLOCK) };
    const roundTrip = await best(() => resultOf(plainOp(rt, tiny, tiny, BLOCK)));

    const packed = await readback(count * 2);
    const sums = [0, 0, 0];
    const ops: [string, () => Promise<unknown>, number, number][] = [
      ['plain a + b', () => resultOf(plainOp(rt, a, b, count)), packed, widened - packed],
      ['nearswap', () => resultOf(nearswapOp(rt, [a, b], count, 0, 1, 0.001, 'BF16')), packed, widened - packed],
      ['slerp pass 1 (statistics)', async () => addPartials(sums, await resultOf(slerpStatsOp(rt, [a, b], count, 0, 1))), await readback(partials.byteLength), combine],
      ['slerp pass 2 (weighted sum)', () => resultOf(weightedSumOp(rt, [a, b], count, [0.4, 0.6], 1, 'BF16')), packed, widened - packed],
    ];
    const times = new Map<string, number>();
    const parts: string[] = [];
    for (const [name, op, back, host] of ops) {
      const whole = await best(op);
      times.set(name, whole);
      const kernel = Math.max(0, whole - upload - back - host - roundTrip);
      parts.push(`${name} ${whole.toFixed(1)} ms = upload ${upload.toFixed(1)} + kernel ~${kernel.toFixed(1)} + readback ${back.toFixed(1)} + host ${host.toFixed(1)} + dispatch round trip ${roundTrip.toFixed(1)}`);
    }
    const plain = times.get('plain a + b') as number;
    const rate = (ms: number) => inputBytes / (ms / 1000) / 1e9;
    const slerp = (times.get('slerp pass 1 (statistics)') as number) + (times.get('slerp pass 2 (weighted sum)') as number);
    const ratios = [
      ['nearswap', times.get('nearswap') as number],
      ['slerp (both passes)', slerp],
    ].map(([name, ms]) => `${String(name)} ${rate(ms as number).toFixed(3)} GB/s = ${(plain / (ms as number)).toFixed(2)}x plain (target ≥ 0.5: ${plain / (ms as number) >= 0.5 ? 'met' : 'NOT met'})`);
    return {
      inputBytes,
      seconds: plain / 1000,
      note: `per sub-chunk of ${count} elements × 2 bf16 inputs, ${rt.label}: ${parts.join('; ')}. Per sub-chunk: plain a + b ${rate(plain).toFixed(3)} GB/s; ${ratios.join('; ')}`,
    };
  } finally {
    rt.destroy();
  }
}
