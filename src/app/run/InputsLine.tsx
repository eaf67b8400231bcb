import type { JobState } from '../../state/job-slice';

/** The models the plan reads (with pinned revisions) and the recipe text, or what is holding the plan up. */
export function InputsLine({ job, stale }: { readonly job: JobState; readonly stale: boolean }) {
  const inputs = (job.plan?.inputs ?? []).map((i) => (i.revision === undefined ? i.ref : `${i.ref}@${i.revision.slice(0, 7)}`));
  const adapters = job.plan?.adapters ?? [];
  const waiting = stale ? 'catching up with the canvas…' : job.planError !== undefined ? 'not planned (see below)' : 'reading model headers…';
  const onStages = job.plan?.stageLoras ?? [];
  const text = inputs.length === 0 ? waiting : `${inputs.join(' · ')}${adapters.length === 0 ? '' : ` · LoRA ${adapters.join(', ')}`}${onStages.length === 0 ? '' : ` · on merge outputs: ${onStages.join(', ')}`}`;
  return (
    <details className="inputs-line">
      <summary>
        {job.input?.origin === 'demo' ? 'Demo recipe' : 'Recipe'}: {text}
      </summary>
      <pre className="recipe-text">{job.input?.recipeText}</pre>
    </details>
  );
}
