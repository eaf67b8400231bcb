/** What the run panel and the output settings show, computed from the job: plan summary, folder note, progress. */
import type { PlanOverview } from '../../engine/api';
import { currentTensorFraction } from '../../state/job-progress';
import type { JobState, OutputFolder } from '../../state/job-slice';
import { formatBytes, formatDuration } from '../../shared/format';
import type { RunProgressView } from '../../ui/RunPanel';

/** `1000000` → `1MB`, `1500000000` → `1.50GB`: what the shard size field shows. */
export function compactSize(bytes: number): string {
  return formatBytes(bytes).replace(' ', '').replace(/\.0+(?=[a-zA-Z])/, '');
}

/**
 * The plan's headline numbers. With a GGUF export the GGUF files are listed (type and count); a GGUF-only output has
 * no safetensors shards, so it shows the GGUF files in their place.
 */
export function planSummary(plan: PlanOverview): { label: string; value: string }[] {
  const gguf = plan.gguf === undefined ? [] : [{ label: 'GGUF', value: `${plan.gguf.type.toUpperCase()}, ${plan.gguf.files.length} file${plan.gguf.files.length === 1 ? '' : 's'}` }];
  const ggufOnly = plan.gguf !== undefined && plan.shardCount === 0;
  return [
    { label: 'Output', value: formatBytes(plan.outputBytes) },
    { label: 'Tensors', value: String(plan.tensorCount) },
    ...(ggufOnly ? [] : [{ label: 'Shards', value: String(plan.shardCount) }]),
    ...gguf,
    { label: 'Reads', value: formatBytes(plan.inputBytes) },
    { label: 'Peak memory', value: formatBytes(plan.peakMemoryBytes) },
    { label: 'Time (est.)', value: `~${formatDuration(plan.estimatedSeconds)}` },
  ];
}

export function folderNote(folder: OutputFolder | undefined): string | undefined {
  if (folder === undefined) return 'The merged model streams into it, shard by shard.';
  const where = folder.storage === 'browser' ? 'In browser storage. ' : '';
  const state = folder.state;
  if (state === undefined) return `${where}Looking inside…`;
  if (state.unfinished) return `${where}Holds an unfinished merge (${state.finishedShards.length} shard${state.finishedShards.length === 1 ? '' : 's'} done).`;
  if (state.files.length > 0) return `${where}Not empty: ${state.files.length} file${state.files.length === 1 ? '' : 's'}.`;
  return `${where}Empty.`;
}

export function progressView(job: JobState): RunProgressView {
  const p = job.progress as NonNullable<JobState['progress']>;
  const kept = p.shards.filter((s) => s.status === 'kept').length;
  const headline =
    job.phase === 'done'
      ? 'Done'
      : job.phase === 'cancelled'
        ? 'Cancelled'
        : job.phase === 'failed'
          ? 'Stopped'
          : p.finalizing
            ? 'Finalizing…'
            : job.cancelling
              ? 'Cancelling…'
              : kept > 0
                ? `Merging (resumed, ${kept} shard${kept === 1 ? '' : 's'} kept)`
                : 'Merging';
  return {
    fraction: job.phase === 'done' ? 1 : p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0,
    headline,
    tensors: `${p.tensorsDone} / ${p.tensorCount} tensors`,
    bytes: `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
    rate: p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : '– /s',
    eta:
      job.phase === 'done'
        ? `took ${formatDuration(job.result?.seconds ?? 0)}`
        : job.phase !== 'running'
          ? 'stopped'
          : p.etaSeconds === undefined
            ? 'ETA –'
            : `ETA ${formatDuration(p.etaSeconds)}`,
    currentTensor: job.phase === 'running' && !p.finalizing ? p.currentTensor : undefined,
    tensorFraction: currentTensorFraction(p),
    tensorSize: formatBytes(p.currentTensorBytes),
    // A shard being written when the run stopped was discarded.
    shards: job.phase === 'running' ? p.shards : p.shards.map((s) => (s.status === 'writing' ? { ...s, status: 'waiting' } : s)),
  };
}
