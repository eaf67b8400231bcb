/**
 * The WebGPU merger of sce (methods/sce.ts), on the task-vector shaders: the top-k of the per-element variance of the
 * task vectors is an exact rank window (the variance computed in f32 on the GPU, ranked with the histogram passes of
 * TIES: pass 0 also counts the zero variances), the weights come from per-block f32 sums of the masked δ² (f64 across
 * blocks), and the output is the task-vector merge with SCE's unweighted sign vote.
 *
 * Passes: [histogram of high key bits + zero-variance count, histogram of low key bits] when selecting, then the
 * weights. Every model shares the one window, so the window shaders run with identical windows for all models.
 */
import { numberParam, otherIndexes } from '../methods/kernel';
import type { MergeJob } from '../methods/kernel';
import { RankWindow } from '../methods/rank-window';
import { sceKeepCount, sceWeights } from '../methods/sce';
import { equalKeyCountsOp, taskVectorL1Op, windowHistogramOp } from '../gpu/ops';
import type { TaskVectorModel, TaskVectorSpec, WindowSpec } from '../gpu/ops';
import { BLOCK } from '../gpu/runtime';
import type { BackendMerger } from './backend';
import { taskVectorOutput, windowSpecOf } from './webgpu-task-vector';
import type { Session } from './webgpu-session';
import { addPartials, copyOp, eachSubChunk, elementwiseMerger } from './webgpu-session';

const BINS = 65536;
/** The descending rank key of a zero variance (0x7fffffff minus the bits of +0), and its high bucket. */
const ZERO_KEY = 0x7fffffff;

export function sceMerger(session: Session, job: MergeJob, inputCount: number): BackendMerger {
  const base = job.baseIndex ?? 0;
  const others = otherIndexes(job, inputCount);
  if (others.length === 0) return elementwiseMerger(session, copyOp(base));
  const topk = numberParam(job.globals, 'select_topk', 1);
  const selecting = topk < 1;
  let models: TaskVectorModel[] = others.map((input) => ({ input, stream: 0, threshold: 0, keepAll: !selecting, window: selecting, weight: 1, scale: 1 }));
  const n = models.length;
  const seen = new Uint32Array(n * 2);
  const high = new Uint32Array(BINS);
  let zeros = 0;
  let window: RankWindow | undefined;
  // Counting passes rank model 0's keys only (every model has the same ones); masks need the window on every model.
  let windowSpecs: WindowSpec[] = models.map((_, m) => (m === 0 ? { active: true, lower: { bucket: ZERO_KEY >>> 16, key: ZERO_KEY } } : { active: false }));
  const spec = (): TaskVectorSpec => ({
    base,
    models,
    seed: job.seed,
    consensus: true,
    normalize: true,
    lambda: 1,
    plainDivisor: 1,
    sce: true,
    ...(selecting ? { windows: { specs: windowSpecs, descending: true, seen } } : {}),
  });
  const keepSeen = (next: Uint32Array | undefined) => {
    if (next !== undefined) seen.set(next);
  };
  const squares = new Array<number>(n * 2).fill(0);
  const weightPass = selecting ? 2 : 0;
  return {
    passes: weightPass + 1,
    rowLength: BLOCK,
    reduce: async (pass, inputs, start, count) => {
      if (pass === 0 && selecting) {
        await eachSubChunk(
          session,
          inputs,
          count,
          (runtime, parts, _offset, sub) => windowHistogramOp(runtime, parts, sub, 0, spec()),
          (hist) => {
            for (let i = 0; i < BINS; i++) high[i]! += hist[i] as number;
          },
        );
        await eachSubChunk(
          session,
          inputs,
          count,
          (runtime, parts, _offset, sub) => equalKeyCountsOp(runtime, parts, sub, spec()),
          (equal) => {
            for (let block = 0; block < equal.length; block += 2 * n) zeros += equal[block] as number;
          },
        );
        return;
      }
      if (pass === 1 && selecting) {
        const w = window as RankWindow;
        if (!w.needsPasses) return;
        await eachSubChunk(
          session,
          inputs,
          count,
          (runtime, parts, _offset, sub) => windowHistogramOp(runtime, parts, sub, 1, spec()),
          (hist) => {
            for (const b of [0, 1] as const) w.addLowCounts(b, hist.subarray(b * BINS, (b + 1) * BINS));
          },
        );
        return;
      }
      await eachSubChunk(
        session,
        inputs,
        count,
        (runtime, parts, offset, sub) => taskVectorL1Op(runtime, parts, sub, start + offset, spec()),
        (result) => {
          addPartials(squares, result.values);
          keepSeen(result.seen);
        },
        { sequential: selecting },
      );
    },
    endPass: (pass) => {
      if (pass === 0 && selecting) {
        window = new RankWindow(job.numel, 0, sceKeepCount(job.numel - zeros, topk));
        window.addHighCounts(high);
        window.endPass(0);
        windowSpecs = [windowSpecOf(window), ...models.slice(1).map(() => ({ active: false }))];
      } else if (pass === 1 && selecting) {
        const w = window as RankWindow;
        if (w.needsPasses) w.endPass(1);
        // A window that needs no counting keeps everything, or nothing when it is empty.
        const keepAll = !w.needsPasses && !w.selection().empty;
        models = models.map((m) => ({ ...m, keepAll, window: w.needsPasses }));
        const shared = windowSpecOf(w);
        windowSpecs = models.map(() => shared);
      } else {
        const weights = sceWeights(squares.filter((_, j) => j % 2 === 1), job.numel);
        models = models.map((m, i) => ({ ...m, weight: weights[i] as number }));
      }
      seen.fill(0);
      return Promise.resolve();
    },
    // The selection's running equal-key counts carry from one sub-chunk to the next.
    apply: (inputs, start, count, roundTo) => taskVectorOutput(session, inputs, start, count, roundTo, spec, keepSeen, { sequential: selecting }),
    release: () => undefined,
  };
}
