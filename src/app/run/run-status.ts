/**
 * The run drawer's one-line status, shown when the drawer is collapsed: the phase, progress and ETA of a merge, the
 * outcome of the last one, or what the recipe still needs — in canvas terms, never YAML line numbers (those belong to
 * the YAML panel).
 */
import type { JobState } from '../../state/job-slice';
import { withoutTextPosition } from '../../shared/errors';
import { formatBytes, formatDuration } from '../../shared/format';

export interface RunStatus {
  readonly tone: 'idle' | 'busy' | 'ok' | 'warn' | 'error';
  readonly text: string;
}

/**
 * `unfinished`: what the canvas still needs (see `unfinishedRecipe`), which explains a planning error better than the
 * error itself while the recipe is being built.
 */
export function runStatus(job: JobState, stale: boolean, unfinished: string | undefined): RunStatus {
  const p = job.progress;
  if (job.phase === 'running' && p !== undefined) {
    const percent = p.bytesTotal > 0 ? Math.round((100 * p.bytesDone) / p.bytesTotal) : 0;
    const eta = p.etaSeconds === undefined ? 'ETA –' : `ETA ${formatDuration(p.etaSeconds)}`;
    const what = job.cancelling ? 'Cancelling' : p.finalizing ? 'Finalizing' : 'Merging';
    return { tone: 'busy', text: `${what} · ${percent} % · ${p.tensorsDone} / ${p.tensorCount} tensors · ${eta}` };
  }
  if (job.phase === 'done' && job.result !== undefined) {
    return { tone: 'ok', text: `Merged · ${job.result.files.length} files in ${job.folder?.name ?? 'the folder'} · took ${formatDuration(job.result.seconds)}` };
  }
  if (job.phase === 'failed' && job.error !== undefined) return { tone: 'error', text: `The merge stopped: ${job.error.message}` };
  if (job.phase === 'cancelled') return { tone: 'warn', text: 'Cancelled · finished shards are kept; open the run to resume' };
  if (job.pending !== undefined) return { tone: 'warn', text: `An unfinished merge into “${job.pending.folderName}” · open the run to resume` };
  if (job.input === undefined) return { tone: 'idle', text: unfinished ?? 'Build a recipe on the canvas, or try the bundled demo' };
  if (unfinished !== undefined && job.input.origin === 'recipe') return { tone: 'warn', text: unfinished };
  if (job.phase === 'planning' || stale) return { tone: 'busy', text: 'Updating the plan…' };
  if (job.planError !== undefined) return { tone: 'error', text: `The recipe cannot be planned: ${withoutTextPosition(job.planError).message}` };
  if (job.plan !== undefined) {
    return { tone: 'idle', text: `Ready · ${job.plan.tensorCount} tensors · ${formatBytes(job.plan.outputBytes)} · ~${formatDuration(job.plan.estimatedSeconds)}` };
  }
  return { tone: 'idle', text: 'Waiting for the recipe…' };
}
