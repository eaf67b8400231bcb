/** The notices above the run panel: an unfinished merge to resume, the CPU fallback, no folder picker, and errors and outcomes. */
import type { PendingRun } from '../../state/pending-run';
import type { JobState } from '../../state/job-slice';
import { formatDuration } from '../../shared/format';
import { describeContext, withoutTextPosition } from '../../shared/errors';
import type { ErrorPayload } from '../../shared/errors';
import type { Capability } from '../../ui/CapabilityList';
import type { Notice } from '../../ui/RunPanel';
import { restartNotice } from '../restart-notice';

function errorNotice(title: string, error: ErrorPayload, actions?: Notice['actions']): Notice {
  const where = describeContext(error.context);
  return { kind: 'error', title, text: `${error.message}${where === '' ? '' : ` (${where})`}`, hint: error.hint, ...(actions === undefined ? {} : { actions }) };
}

export function buildNotices(
  job: JobState,
  stale: boolean,
  webgpu: Capability | undefined,
  localError: ErrorPayload | undefined,
  on: { resume: (p: PendingRun) => Promise<void>; discard: () => void; overwrite: () => void },
  unfinished?: string,
): Notice[] {
  const notices: Notice[] = [];
  if (job.pending !== undefined && job.phase !== 'running') {
    const pending = job.pending;
    notices.push({
      kind: 'warn',
      title: `An unfinished merge into “${pending.folderName}”`,
      text: `It did not finish${pending.startedAt === '' ? '' : ` (started ${new Date(pending.startedAt).toLocaleString()})`}. Finished shards are kept.`,
      hint: 'Resume asks for the same folder again.',
      actions: [
        { label: 'Resume…', onClick: () => void on.resume(pending) },
        { label: 'Discard', onClick: on.discard },
      ],
    });
  }
  if (webgpu !== undefined && webgpu.status !== 'ok') {
    notices.push({
      kind: 'info',
      title: 'Running on the CPU',
      text: webgpu.status === 'missing' ? 'WebGPU is not available in this browser: the CPU backend merges on a worker per core.' : 'WebGPU offers only a software adapter here: the CPU backend merges on a worker per core.',
    });
  }
  if (typeof window !== 'undefined' && !('showDirectoryPicker' in window)) {
    notices.push({ kind: 'info', title: 'No folder picker in this browser', text: 'The merged model is kept in browser storage; download each file when it is done.' });
  }
  if (localError !== undefined) notices.push(errorNotice('Something went wrong', localError));
  // While the canvas recipe is unfinished, what it needs says more than the planner's complaint; line numbers stay in
  // the YAML panel either way.
  if (unfinished !== undefined && job.input?.origin === 'recipe') notices.push({ kind: 'info', title: 'Finish the recipe', text: unfinished });
  else if (job.planError !== undefined && !stale) notices.push(errorNotice('The recipe cannot be planned', withoutTextPosition(job.planError)));
  if (job.phase === 'failed' && job.error !== undefined) {
    notices.push(errorNotice('The merge stopped', job.error, job.error.code === 'E_OUTPUT_NOT_EMPTY' ? [{ label: 'Write into it anyway', onClick: on.overwrite }] : undefined));
  }
  const restart = restartNotice(job.progress);
  if (restart !== undefined) notices.push(restart);
  if (job.phase === 'cancelled') {
    const done = job.folder?.state?.finishedShards.length ?? 0;
    const ggufOnly = job.plan?.gguf !== undefined && job.plan.shardCount === 0;
    const kept = ggufOnly ? 'The finished GGUF files are kept in the folder.' : `${done} of ${job.plan?.shardCount ?? '?'} shards are finished and kept in the folder.`;
    notices.push({ kind: 'warn', title: 'Cancelled', text: kept, hint: 'Resume continues from there, now or after a reload.' });
  }
  if (job.phase === 'done' && job.result !== undefined) {
    const resumed = job.result.resumedShards.length;
    notices.push({
      kind: 'ok',
      title: 'Merged',
      text: `${job.result.files.length} files in ${job.folder?.name ?? 'the folder'}, computed on the ${job.result.backend} in ${formatDuration(job.result.seconds)}${resumed > 0 ? `; ${resumed} shard${resumed === 1 ? '' : 's'} kept from the interrupted run` : ''}.`,
    });
  }
  return notices;
}
