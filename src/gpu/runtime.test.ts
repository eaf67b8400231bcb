import { describe, expect, it } from 'vitest';

import { randomBits } from '../methods/random';
import { isAppError } from '../shared/errors';
import { createNodeGpu, paceGpuPolling, unpaceGpuPolling } from './node-gpu';
import { nodeShaderLibrary } from './node-shaders';
import { castOp, randomBitsOp } from './ops';
import { BLOCK, GpuRuntime, resultOf, uniformBlock } from './runtime';

describe('GPU runtime', () => {
  it('requests the adapter limits and caps bindings when told; sub-chunks are whole blocks', async () => {
    const gpu = createNodeGpu();
    const adapter = await gpu.requestAdapter();
    const full = await GpuRuntime.open(gpu, nodeShaderLibrary());
    expect(full.maxBindingBytes).toBe(Math.min(adapter?.limits.maxStorageBufferBindingSize ?? 0, adapter?.limits.maxBufferSize ?? 0));
    full.destroy();
    const capped = await GpuRuntime.open(gpu, nodeShaderLibrary(), { maxBindingBytes: 10_000 });
    expect(capped.subChunkElements(3)).toBe(768);
    expect(capped.subChunkElements(100) % BLOCK).toBe(0);
    capped.destroy();
  });

  it('a shader that does not compile is an E_GPU error naming the op and the compiler message', async () => {
    const shaders = { ...nodeShaderLibrary(), 'cast.wgsl': 'fn main( {' };
    const rt = await GpuRuntime.open(createNodeGpu(), shaders);
    const error = await resultOf(castOp(rt, { dtype: 'F32', bytes: new Uint8Array(16) }, 4, 'F32')).catch((e: unknown) => e);
    expect(isAppError(error, 'E_GPU')).toBe(true);
    expect((error as Error).message).toMatch(/^cast failed on the GPU: .*(error|parse|expected)/is);
    // The device is still usable afterwards: other shaders run.
    expect(Array.from(await resultOf(randomBitsOp(rt, 1, 2, 0, 3)))).toEqual([0, 1, 2].map((i) => randomBits(1, 2, i)));
    rt.destroy();
  });

  it('a validation error in a submitted job (encoding threw nothing) is an E_GPU error from its readback; the next job runs', async () => {
    const rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
    // A uniform buffer cannot be a copy source: the copy is invalid, which only the job's error scopes see.
    const submitted = rt.submit('bad copy', (job) => Promise.resolve(job.readback([job.uniform(uniformBlock([['u32', 1]]), 'params')])));
    const readback = await submitted;
    const error = await readback().catch((e: unknown) => e);
    expect(isAppError(error, 'E_GPU')).toBe(true);
    expect((error as Error).message).toMatch(/^bad copy failed on the GPU: .*CopySrc/is);
    expect(Array.from(await resultOf(randomBitsOp(rt, 1, 2, 0, 3)))).toEqual([0, 1, 2].map((i) => randomBits(1, 2, i)));
    rt.destroy();
  });

  it("paced polling: native callbacks (Dawn's polls) go to a timer, JavaScript ones stay immediate, and GPU work completes", async () => {
    const original = globalThis.setImmediate;
    paceGpuPolling();
    try {
      expect(globalThis.setImmediate).not.toBe(original);
      const noop = () => undefined;
      const native = setImmediate(noop.bind(null));
      const script = setImmediate(noop);
      expect(native.constructor.name).toBe('Timeout');
      expect(script.constructor.name).toBe('Immediate');
      const rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
      expect(Array.from(await resultOf(randomBitsOp(rt, 5, 6, 0, 4)))).toEqual([0, 1, 2, 3].map((i) => randomBits(5, 6, i)));
      rt.destroy();
    } finally {
      unpaceGpuPolling();
    }
    expect(globalThis.setImmediate).toBe(original);
  });

  it('work on a destroyed device is E_DEVICE_LOST', async () => {
    const rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
    rt.device.destroy();
    const error = await resultOf(castOp(rt, { dtype: 'F32', bytes: new Uint8Array(16) }, 4, 'F32')).catch((e: unknown) => e);
    expect(isAppError(error, 'E_DEVICE_LOST')).toBe(true);
    expect((error as Error).message).toContain('destroyed');
  });
});
