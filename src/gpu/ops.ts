/**
 * The GPU ops, one module per shader under kernels/, each over one sub-chunk of `count` elements (small enough for one
 * binding: see GpuRuntime.subChunkElements): inputs arrive encoded, are decoded on the GPU into one f32 buffer (input m
 * at m·count), and the result comes back as f32 values already rounded to the output dtype, or as per-block partial
 * sums for the host to add up in f64.
 */
export { castOp } from './kernels/cast';
export type { OutputKernel } from './kernels/encoded';
export { gramOp } from './kernels/gram';
export { LENS_STATS, lensStatsOp } from './kernels/lens-stats';
export { nearswapKernel, nearswapOp } from './kernels/nearswap';
export { randomBitsOp } from './kernels/random-bits';
export { slerpStatsOp } from './kernels/slerp-stats';
export { equalKeyCountsOp, taskVectorL1Op, taskVectorOp, windowHistogramOp } from './kernels/task-vector';
export type { TaskVectorResult } from './kernels/task-vector';
export type { TaskVectorModel, TaskVectorSpec, WindowSpec } from './kernels/task-vector-spec';
export { weightedSumKernel, weightedSumOp } from './kernels/weighted-sum';
