/**
 * lora_delta.wgsl: a LoRA baked into an input's decoded elements in place on the GPU (W + scale·ΔW, rounded to W's
 * dtype; methods/lora-delta.ts is the CPU reference). The dispatch covers the W rows the sub-chunk touches; of the left
 * operand only those rows are uploaded when they are contiguous (B), the right operand whole.
 */
import type { LoraBake, LoraFactors } from '../../methods/lora-delta';
import { loraOperands } from '../../methods/lora-delta';
import { AppError } from '../../shared/errors';
import type { Binding, GpuJob } from '../runtime';
import { DTYPE_CODE, MAX_GROUPS_X, uniformBlock } from '../runtime';

/** TILE in lora_delta.wgsl. */
const TILE = 16;

const widthOf = (dtype: LoraFactors['dtype']) => (dtype === 'F32' ? 4 : 2);

/** Whether each factor fits one storage binding of `maxBindingBytes` (else the LoRA must be baked elsewhere). */
export function loraFitsBinding(factors: LoraFactors, maxBindingBytes: number): boolean {
  return factors.a.bytes.byteLength <= maxBindingBytes && factors.b.bytes.byteLength <= maxBindingBytes;
}

/** Adds the LoRA's delta to elements [dstOffset, dstOffset + count) of `values` (W elements from `bake.start`) and rounds. */
export async function bakeLora(job: GpuJob, values: Binding, dstOffset: number, bake: LoraBake, count: number): Promise<void> {
  const f = bake.factors;
  const { left, right } = loraOperands(f);
  const startRow = Math.floor(bake.start / f.columns);
  const startCol = bake.start - startRow * f.columns;
  const rowsEnd = Math.floor((bake.start + count - 1) / f.columns) + 1;
  const columnTiles = Math.ceil(f.columns / TILE);
  if (columnTiles > MAX_GROUPS_X) {
    throw new AppError('E_UNSUPPORTED', `A LoRA on a weight with ${f.columns} columns is too wide for one GPU dispatch.`, { hint: 'Use the CPU backend for this merge.' });
  }
  const leftFactor = f[left.factor];
  const rowsOnly = left.strideK === 1;
  const leftRow = rowsOnly ? startRow : 0;
  const leftBytes = rowsOnly ? leftFactor.bytes.subarray(startRow * left.stride * widthOf(leftFactor.dtype), rowsEnd * left.stride * widthOf(leftFactor.dtype)) : leftFactor.bytes;
  const l = job.upload(leftBytes, 'lora left');
  const r = job.upload(f[right.factor].bytes, 'lora right');
  const constants = { L_DTYPE: DTYPE_CODE[leftFactor.dtype], R_DTYPE: DTYPE_CODE[f[right.factor].dtype], OUT_DTYPE: DTYPE_CODE[f.dtype] };
  const rowTiles = Math.ceil((rowsEnd - startRow) / TILE);
  for (let tile = 0; tile < rowTiles; tile += MAX_GROUPS_X) {
    const params = job.uniform(
      uniformBlock([
        ['u32', count],
        ['u32', dstOffset],
        ['u32', f.columns],
        ['u32', f.rank],
        ['u32', startRow + tile * TILE],
        ['u32', rowsEnd],
        ['u32', startRow],
        ['u32', startCol],
        ['u32', leftRow],
        ['u32', left.stride],
        ['u32', left.strideK],
        ['u32', right.stride],
        ['u32', right.strideK],
        ['f32', f.scale],
      ]),
      'lora params',
    );
    await job.dispatchGroups('lora_delta.wgsl', constants, [l, r, values, params], columnTiles, Math.min(MAX_GROUPS_X, rowTiles - tile));
  }
}
