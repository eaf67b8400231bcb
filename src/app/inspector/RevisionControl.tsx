import { useEffect, useState } from 'react';

import type { HubRef } from '../../io/source/hub-refs';
import { formatModelRef, parseModelRefString } from '../../recipe/model-ref';
import { useAppStore } from '../../state/hooks';
import { isHubId } from '../../state/run-input';

/**
 * Pins a Hub model to a branch, tag or commit: the recipe reference becomes `repo@revision`. The repo's branches and
 * tags are offered as suggestions; any commit sha can be typed.
 */
export function RevisionControl({ ref_ }: { ref_: string }) {
  const setRevision = useAppStore((s) => s.setRevision);
  const listRevisions = useAppStore((s) => s.listRevisions);
  const select = useAppStore((s) => s.select);
  const parsed = parseModelRefString(ref_);
  const current = typeof parsed === 'string' ? undefined : parsed.revision;
  const repo = typeof parsed === 'string' ? undefined : parsed.path;
  const [revision, setText] = useState(current ?? '');
  const [error, setError] = useState<string | undefined>(undefined);
  const [refs, setRefs] = useState<readonly HubRef[]>([]);
  useEffect(() => {
    if (repo === undefined || !isHubId(repo)) return;
    let live = true;
    // Without the list (offline, or no access yet) the field still takes any branch, tag or sha.
    listRevisions(repo).then(
      (found) => live && setRefs(found),
      () => live && setRefs([]),
    );
    return () => {
      live = false;
    };
  }, [repo, listRevisions]);
  const apply = () => {
    try {
      setRevision(ref_, revision);
      if (typeof parsed !== 'string') select({ kind: 'model', ref: formatModelRef(revision.trim() === '' ? { path: parsed.path } : { ...parsed, revision: revision.trim() }) });
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const listId = `revisions-${ref_}`;
  return (
    <>
      <div className="row">
        <input aria-label="Revision" list={listId} placeholder="branch, tag or commit sha (default: main)" value={revision} onChange={(e) => setText(e.target.value)} />
        <datalist id={listId} data-testid="revision-choices">
          {refs.map((r) => (
            <option key={`${r.kind}:${r.name}`} value={r.name} label={`${r.kind} · ${r.commit.slice(0, 7)}`} />
          ))}
        </datalist>
        <button type="button" className="small" onClick={apply}>
          Pin revision
        </button>
        {error === undefined ? null : <span className="error-text">{error}</span>}
      </div>
      {refs.length === 0 ? null : (
        <p className="muted small-text">
          {countOf(refs.filter((r) => r.kind === 'branch').length, 'branch', 'branches')}, {countOf(refs.filter((r) => r.kind === 'tag').length, 'tag', 'tags')}: pick one in the
          field, or paste a commit sha.
        </p>
      )}
    </>
  );
}

/** `1 tag`, `2 tags`. */
function countOf(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
