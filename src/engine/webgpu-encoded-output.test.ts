import { describe, expect, it } from 'vitest';

import { encodeFromF32, floatBytes } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import type { EncodedChunk } from './backend';
import type { MergeCase } from './webgpu-backend.test-support';
import { caseInputs, caseJob, runBackendMerger, runBackendMergerEncoded } from './webgpu-backend.test-support';
import { useTestBackends } from './webgpu-node.test-support';

/**
 * The WebGPU mergers that write encoded output themselves (`applyEncoded`): two-input kernels hand back BF16 and F32
 * outputs as the stored bytes, other cases (F16, more than two inputs) as f32 values encoded on the host. Either way the
 * bytes must be exactly those of `apply` encoded on the host, also when the output is written over an input.
 */
const CASES: MergeCase[] = [
  { name: 'nearswap', method: 'nearswap', models: 2, baseIndex: 0, globals: { t: 0.004 } },
  { name: 'slerp', method: 'slerp', models: 2, baseIndex: 0, globals: { t: 0.35 } },
  { name: 'slerp, base second', method: 'slerp', models: 2, baseIndex: 1, globals: { t: 0.6 }, related: false },
  { name: 'linear of two', method: 'linear', models: 2, perModel: (i) => ({ weight: [1.3, -0.4][i] as number }), globals: { normalize: false } },
  { name: 'linear of three (host encode)', method: 'linear', models: 3, perModel: (i) => ({ weight: [0.5, 0.3, 0.2][i] as number }), globals: { normalize: true } },
  { name: 'karcher (weighted sum of three)', method: 'karcher', models: 3, globals: { max_iter: 10, tol: 1e-5 } },
];
const DTYPES: FloatDType[] = ['BF16', 'F16', 'F32'];
const NUMEL = 3001;

const backends = useTestBackends();

describe.each(CASES)('$name: encoded output straight from the GPU', (c) => {
  it.each(DTYPES)('%s: the bytes of apply + host encode, in chunks, with small bindings, and written over input 0', async (dtype) => {
    const job = caseJob(c, NUMEL);
    const { encoded } = caseInputs(c, dtype, NUMEL);
    const values = await runBackendMerger(await backends.normal.createMerger(c.method, job, c.models), encoded, NUMEL, 1000, dtype);
    const expected = new Uint8Array(floatBytes(dtype, NUMEL));
    encodeFromF32(dtype, values, expected);
    for (const [backend, chunk] of [[backends.normal, NUMEL], [backends.normal, 1000], [backends.small, 1000]] as const) {
      const out = new Uint8Array(expected.length);
      await runBackendMergerEncoded(await backend.createMerger(c.method, job, c.models), encoded, NUMEL, chunk, dtype, out);
      expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    }
    // In place: input 0's bytes are the output's (the engine does this for an output of an input's dtype and size).
    const shared = encoded[0]!.bytes.slice();
    const inputs: EncodedChunk[] = [{ dtype, bytes: shared }, ...encoded.slice(1)];
    await runBackendMergerEncoded(await backends.small.createMerger(c.method, job, c.models), inputs, NUMEL, 1000, dtype, shared);
    expect(Buffer.from(shared).equals(Buffer.from(expected))).toBe(true);
  });
});
