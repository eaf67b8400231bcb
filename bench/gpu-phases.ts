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

import { bindEncoded, groupInvocations, groupOutput, readbackEncoded } from '../src/gpu/kernels/encoded';
import { createNodeGpu, yieldToSoftwareGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { nearswapOp, slerpStatsOp, weightedSumOp } from '../src/gpu/ops';
import { BLOCK, DTYPE_CODE, GpuRuntime, resultOf, uniformBlock } from '../src/gpu/runtime';
import type { EncodedInput, Readback } from '../src/gpu/runtime';
import { addPartials } from '../src/engine/webgpu-session';
import type { CaseResult } from './measure';

const ROUNDS = 9;
const PLAIN = 'bench/add_encoded.wgsl';

/**
 * The fastest of several rounds of each piece of work, the rounds taken in turn (one of each per round), so a burst of
 * load from other processes slows every piece alike rather than one.
 */
async function fastest(works: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, work] of Object.entries(works)) {
      const started = performance.now();
      await work();
      // Round -1 warms up (pipelines compiled, buffers pooled).
      if (round >= 0) best[name] = Math.min(best[name] ?? Infinity, performance.now() - started);
    }
  }
  return best;
}

/** The plain kernel: a + b of two encoded inputs, rounded to bf16, read back as the ops read theirs. */
function plainOp(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number): Promise<Readback<Float32Array>> {
  return rt.submit('plain a + b', async (job) => {
    const { bindings, constants } = bindEncoded(job, a, b);
    const out = groupOutput(job, count, 'BF16');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch(PLAIN, { ...constants, OUT_DTYPE: DTYPE_CODE.BF16 }, [...bindings, out, params], groupInvocations(count));
    return readbackEncoded(job, out, count, 'BF16');
  });
}

export async function gpuPhases(args: Record<string, string | number>): Promise<CaseResult> {
  const count = Number(args['elements'] ?? 1 << 20);
  const shaders = { ...nodeShaderLibrary(), [PLAIN]: readFileSync(new URL('./shaders/add_encoded.wgsl', import.meta.url), 'utf8') };
  const rt = await GpuRuntime.open(createNodeGpu(), shaders);
  // As the merges on a software adapter (src/gpu/node-gpu.ts): the main thread's polling yields to SwiftShader's threads.
  // The yardstick's round trips are timed one by one: Dawn's polling is left unpaced, so they are not a millisecond late.
  if (rt.isFallbackAdapter) yieldToSoftwareGpu({ pacePolling: false });
  try {
    // Weight-like values (small normal numbers, b near a), as bf16 (the high halves of f32): random bit patterns would
    // be one part in 128 NaN, Inf or subnormal, which x86 arithmetic slows down for.
    const bf16 = (value: (i: number) => number) => ({ dtype: 'BF16' as const, bytes: new Uint8Array(Uint16Array.from(new Uint32Array(Float32Array.from({ length: count }, (_, i) => value(i)).buffer), (w) => w >>> 16).buffer) });
    const [a, b] = [bf16((i) => 0.02 * Math.sin(i * 0.37)), bf16((i) => 0.02 * Math.sin(i * 0.37) + 0.001 * Math.cos(i * 1.3))];
    const inputBytes = a.bytes.byteLength + b.bytes.byteLength;
    const partials = new Float32Array((count / BLOCK) * 3).fill(1);
    const tiny = { dtype: 'BF16' as const, bytes: a.bytes.subarray(0, 2 * BLOCK) };
    const sums = [0, 0, 0];
    // Each phase alone: a job with only the uploads, or only an output buffer and its readback (raw, and as the ops
    // read theirs); the host's f64 sums of slerp's partials; a dispatch on one block; then the whole ops.
    const t = await fastest({
      upload: () => resultOf(rt.submit('upload', (job) => Promise.resolve(job.readback([job.upload(a.bytes, 'a'), job.upload(b.bytes, 'b')].slice(0, 0))))),
      readback: () => resultOf(rt.submit('readback', (job) => Promise.resolve(job.readback([groupOutput(job, count, 'BF16')])))),
      'readback as f32': () => resultOf(rt.submit('readback', (job) => Promise.resolve(readbackEncoded(job, groupOutput(job, count, 'BF16'), count, 'BF16')))),
      'readback of partials': () => resultOf(rt.submit('readback', (job) => Promise.resolve(job.readback([job.storage(partials.byteLength, 'partials')])))),
      'f64 sums': () => Promise.resolve(addPartials([0, 0, 0], partials)),
      'dispatch round trip': () => resultOf(plainOp(rt, tiny, tiny, BLOCK)),
      'plain a + b': () => resultOf(plainOp(rt, a, b, count)),
      nearswap: () => resultOf(nearswapOp(rt, [a, b], count, 0, 1, 0.001, 'BF16')),
      // What a merge's top stage asks for when it encodes the output itself (engine/evaluate.ts): f32, 4 bytes an element.
      'nearswap, f32 output': () => resultOf(nearswapOp(rt, [a, b], count, 0, 1, 0.001, 'F32')),
      'readback of f32': () => resultOf(rt.submit('readback', (job) => Promise.resolve(readbackEncoded(job, groupOutput(job, count, 'F32'), count, 'F32')))),
      'slerp pass 1 (statistics)': async () => addPartials(sums, await resultOf(slerpStatsOp(rt, [a, b], count, 0, 1))),
      'slerp pass 2 (weighted sum)': () => resultOf(weightedSumOp(rt, [a, b], count, [0.4, 0.6], 1, 'BF16')),
    });
    const ms = (name: string) => t[name] as number;
    const output = { back: ms('readback'), host: ms('readback as f32') - ms('readback') };
    const phases: [string, number, number][] = [
      ['plain a + b', output.back, output.host],
      ['nearswap', output.back, output.host],
      ['nearswap, f32 output', ms('readback of f32'), 0],
      ['slerp pass 1 (statistics)', ms('readback of partials'), ms('f64 sums')],
      ['slerp pass 2 (weighted sum)', output.back, output.host],
    ];
    const parts = phases.map(([name, back, host]) => {
      const kernel = Math.max(0, ms(name) - ms('upload') - back - host - ms('dispatch round trip'));
      return `${name} ${ms(name).toFixed(1)} ms = upload ${ms('upload').toFixed(1)} + kernel ~${kernel.toFixed(1)} + readback ${back.toFixed(1)} + host ${host.toFixed(1)} + dispatch round trip ${ms('dispatch round trip').toFixed(1)}`;
    });
    const plain = ms('plain a + b');
    const rate = (time: number) => inputBytes / (time / 1000) / 1e9;
    const ratios: [string, number][] = [
      ['nearswap', ms('nearswap')],
      ['slerp (both passes)', ms('slerp pass 1 (statistics)') + ms('slerp pass 2 (weighted sum)')],
    ];
    const perOp = ratios.map(([name, time]) => `${name} ${rate(time).toFixed(3)} GB/s = ${(plain / time).toFixed(2)}x plain (target ≥ 0.5: ${plain / time >= 0.5 ? 'met' : 'NOT met'})`);
    return {
      inputBytes,
      seconds: plain / 1000,
      note: `per sub-chunk of ${count} elements × 2 bf16 inputs, ${rt.label}: ${parts.join('; ')}. Per sub-chunk: plain a + b ${rate(plain).toFixed(3)} GB/s; ${perOp.join('; ')}`,
    };
  } finally {
    rt.destroy();
  }
}
