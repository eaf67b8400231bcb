import { useEffect, useMemo, useState } from 'react';

import type { PublishProgress } from '../../io/hub-publish/progress';
import { checkRepoId, repoNameFromOutput } from '../../io/hub-publish/repo-name';
import { withCardExtras } from '../../plan/card-extras';
import type { CardExtras } from '../../plan/card-extras';
import { formatBytes } from '../../shared/format';
import { useAppStore } from '../../state/hooks';
import { cardExtras } from '../../state/measurements-slice';
import { HubSignIn } from './HubSignIn';
import { readCard } from './folder-files';
import { useHubIdentity } from './use-hub-account';
import { usePublish } from './use-publish';
import './publish.css';

/**
 * "Publish to the Hub", under a finished run — or whenever the output folder holds a finished merge, so that a re-plan
 * (e.g. a token typed after the run) does not take it away: account, repo name, visibility, the card editor, progress.
 */
export function PublishPanel() {
  const measurements = useAppStore((s) => s.measurements);
  const extras = useMemo(() => cardExtras(measurements), [measurements]);
  const phase = useAppStore((s) => s.job.phase);
  const folder = useAppStore((s) => s.job.folder);
  const outputName = useAppStore((s) => s.job.output.name);
  const finished = folder?.state !== undefined && !folder.state.unfinished && folder.state.files.some((f) => f.endsWith('.safetensors'));
  if (folder === undefined || phase === 'running' || (phase !== 'done' && !finished)) return null;
  return <PublishForm key={folder.name} folder={folder.handle} outputName={outputName} extras={extras} />;
}

function PublishForm(props: { readonly folder: FileSystemDirectoryHandle; readonly outputName: string; readonly extras: CardExtras | undefined }) {
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  const identity = useHubIdentity();
  const { status, publish, cancel } = usePublish();
  const [repoDraft, setRepoDraft] = useState<string | undefined>(undefined);
  const [isPrivate, setPrivate] = useState(true);
  const [original, setOriginal] = useState<string | undefined>(undefined);
  const [card, setCard] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void readCard(props.folder).then((text) => {
      if (!live || text === undefined) return;
      const full = withCardExtras(text, props.extras);
      setOriginal(full);
      // New measurements refresh the Measurements section of the draft and keep the user's other edits.
      setCard((c) => (c === undefined ? full : withCardExtras(c, props.extras)));
    });
    return () => {
      live = false;
    };
  }, [props.folder, props.extras]);

  const owner = identity.kind === 'ok' ? identity.identity.name : 'your-name';
  const repo = repoDraft ?? `${owner}/${repoNameFromOutput(props.outputName)}`;
  let repoError: string | undefined;
  try {
    checkRepoId(repo);
  } catch (e) {
    repoError = e instanceof Error ? e.message : String(e);
  }
  const busy = status.kind === 'publishing';
  const canPublish = identity.kind === 'ok' && repoError === undefined && !busy;
  const start = () => publish({ folder: props.folder, repo, private: isPrivate, card, endpoint, token });
  const progress = status.kind === 'publishing' || status.kind === 'stopped' ? status.progress : status.kind === 'done' ? status.result.progress : undefined;

  return (
    <section className="publish-panel" aria-labelledby="publish-title" data-testid="publish-panel">
      <h3 id="publish-title">Publish to the Hub</h3>
      <HubSignIn identity={identity} />
      <div className="publish-grid">
        <label className="field">
          <span>Repository</span>
          <input value={repo} aria-invalid={repoError !== undefined} disabled={busy} onChange={(e) => setRepoDraft(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={isPrivate} disabled={busy} onChange={(e) => setPrivate(e.target.checked)} />
          Private (only you and your organisation can see it)
        </label>
      </div>
      {repoError === undefined ? null : <p className="field-error">{repoError}</p>}
      <details className="card-editor" open>
        <summary>Model card (README.md) — edit before publishing</summary>
        {card === undefined ? (
          <p className="muted">This output has no README.md; the repo will have no card.</p>
        ) : (
          <>
            <textarea aria-label="Model card" value={card} spellCheck={false} disabled={busy} onChange={(e) => setCard(e.target.value)} />
            <button type="button" className="button" disabled={busy || card === original} onClick={() => setCard(original)}>
              Undo my edits
            </button>
          </>
        )}
      </details>
      <div className="publish-actions">
        {busy ? (
          <button type="button" className="button danger" disabled={status.cancelling} onClick={cancel}>
            {status.cancelling ? 'Cancelling…' : 'Cancel upload'}
          </button>
        ) : (
          <button type="button" className="button primary" disabled={!canPublish} onClick={start}>
            {status.kind === 'stopped' ? 'Resume upload' : status.kind === 'done' ? 'Publish again' : 'Publish'}
          </button>
        )}
        {identity.kind === 'ok' ? null : <span className="muted">Sign in first.</span>}
      </div>
      {progress === undefined ? null : <UploadProgress progress={progress} />}
      {status.kind === 'stopped' ? (
        <div className={`notice ${status.error.code === 'E_CANCELLED' ? 'notice-warn' : 'notice-error'}`} role="alert">
          <strong>{status.error.code === 'E_CANCELLED' ? 'Upload cancelled.' : 'Upload stopped.'}</strong> <span>{status.error.message}</span>{' '}
          <span className="notice-hint">{status.error.hint}</span>
        </div>
      ) : null}
      {status.kind === 'done' ? (
        <div className="notice notice-ok" role="status">
          <strong>Published.</strong>{' '}
          <a href={status.result.repoUrl} target="_blank" rel="noreferrer">
            {status.result.repo}
          </a>
          {status.result.alreadyStored.length > 0 ? <span className="notice-hint"> {status.result.alreadyStored.length} file(s) were already on the Hub and were not sent again.</span> : null}
        </div>
      ) : null}
    </section>
  );
}

const STATE_LABEL = { waiting: 'waiting', hashing: 'hashing', uploading: 'uploading', uploaded: 'uploaded', stored: 'already on the Hub', inline: 'sent with the commit' } as const;

function UploadProgress({ progress }: { readonly progress: PublishProgress }) {
  const total = progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal;
  return (
    <div className="upload-progress" data-testid="upload-progress">
      <div className="progress-facts">
        <span>{progress.phase === 'done' ? 'Committed' : progress.phase}</span>
        <span>
          {formatBytes(progress.bytesDone)} of {formatBytes(progress.bytesTotal)}
        </span>
      </div>
      <div className="bar" role="progressbar" aria-label="Upload" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(total * 100)}>
        <div className="bar-fill" style={{ width: `${(total * 100).toFixed(1)}%` }} />
      </div>
      <ul className="upload-files">
        {progress.files.map((f) => (
          <li key={f.path} className={`upload-file upload-${f.state}`}>
            <span className="upload-name">{f.path}</span>
            <span className="upload-size">{formatBytes(f.size)}</span>
            <span className="upload-state">
              {STATE_LABEL[f.state]}
              {f.state === 'hashing' || f.state === 'uploading' ? ` ${Math.floor(f.fraction * 100)}%` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
