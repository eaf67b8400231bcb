/** nearswap.wgsl: take the other model where it is within t of the base. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { Binding, EncodedInput, GpuJob, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { bindEncoded, encodedPair, groupInvocations, groupOutput, packsBytes, readbackBytes, readbackEncoded } from './encoded';
import type { OutputKernel } from './encoded';
import { decodeInputs } from './inputs';

export function nearswapOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  base: number,
  other: number,
  t: number,
  outDtype: FloatDType,
): Promise<Readback<Float32Array>> {
  return nearswapKernel(base, other, t).values(rt, inputs, count, outDtype);
}

/** nearswap of `inputs[other]` into `inputs[base]` at threshold `t`. */
export function nearswapKernel(base: number, other: number, t: number): OutputKernel {
  /** The two-input kernel on the inputs as stored; `read` says how its output comes back. */
  const encoded = <T>(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number, outDtype: FloatDType, read: (job: GpuJob, out: Binding) => Readback<T>) =>
    rt.submit('nearswap', async (job) => {
      const { bindings, constants } = bindEncoded(job, a, b);
      const out = groupOutput(job, count, outDtype);
      const params = job.uniform(uniformBlock([['u32', count], ['f32', t]]), 'params');
      await job.dispatch('nearswap_encoded.wgsl', { ...constants, OUT_DTYPE: DTYPE_CODE[outDtype] }, [...bindings, out, params], groupInvocations(count));
      return read(job, out);
    });
  return {
    values: (rt, inputs, count, outDtype) => {
      const [a, b] = [inputs[base], inputs[other]];
      if (encodedPair(a, b)) return encoded(rt, a, b as EncodedInput, count, outDtype, (job, out) => readbackEncoded(job, out, count, outDtype));
      return rt.submit('nearswap', async (job) => {
        const values = await decodeInputs(job, inputs, count);
        const out = job.storage(count * 4, 'output');
        const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other], ['f32', t]]), 'params');
        await job.dispatch('nearswap.wgsl', { OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, out, params], count);
        return job.readbackF32(out);
      });
    },
    bytes: (rt, inputs, count, outDtype) => {
      const [a, b] = [inputs[base], inputs[other]];
      if (!encodedPair(a, b) || !packsBytes(outDtype)) return undefined;
      return encoded(rt, a, b as EncodedInput, count, outDtype, (job, out) => readbackBytes(job, out, count, outDtype));
    },
  };
}
