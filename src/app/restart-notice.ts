import type { RunProgress } from '../state/job-progress';
import type { Notice } from '../ui/RunPanel';

/** When a resume had to start over: the notice that says why (the engine named what changed since those shards). */
export function restartNotice(progress: RunProgress | undefined): Notice | undefined {
  const reasons = progress?.restartReasons ?? [];
  if (reasons.length === 0) return undefined;
  return {
    kind: 'warn',
    title: 'Started over: the unfinished shards came from other inputs',
    text: `${reasons.slice(0, 4).join('; ')}${reasons.length > 4 ? `; and ${reasons.length - 4} more` : ''}.`,
    hint: 'Shards are only kept when every input, the recipe, the output settings and the tool version are the same.',
  };
}
