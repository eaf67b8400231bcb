/**
 * The left column: find models and put them on the canvas — search the Hub, paste a repo id or URL, or add a local
 * folder (picker or drop). Every model is listed with its header facts or the error that stopped them being read.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';

import type { HubModelHit } from '../io/source/hub-search';
import { describeContext } from '../shared/errors';
import { useAppStore } from '../state/hooks';
import { formatBytes } from '../shared/format';
import { formatCount } from '../state/model-summary';
import { allModelRefs, isStageLora } from '../state/recipe-graph';
import { isHubId } from '../state/run-input';
import { modelKeyOf, repoIdFromInput, sourceEntryOf } from '../state/sources-slice';
import { ErrorNote } from '../ui/ErrorNote';
import { ModelFacts } from '../ui/ModelFacts';
import { useAddLocalFiles, useModelDrop } from './model-drop';
import { SidePanel } from './SidePanel';
import { startHubSignIn } from './publish/hub-sign-in';

export function ModelsPanel() {
  return (
    <SidePanel id="models" side="left" label="Models">
      <HubSearch />
      <LocalFolder />
      <ModelList />
      <HubSettingsForm />
    </SidePanel>
  );
}

function useAddHubModel() {
  const addModel = useAppStore((s) => s.addModel);
  const loadHubModel = useAppStore((s) => s.loadHubModel);
  return (ref: string) => {
    addModel(ref);
    void loadHubModel(ref);
  };
}

function HubSearch() {
  const searchHub = useAppStore((s) => s.searchHub);
  const addHub = useAddHubModel();
  const [query, setQuery] = useState('');
  const [pasted, setPasted] = useState('');
  const [hits, setHits] = useState<readonly HubModelHit[] | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const search = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setHits(await searchHub(query.trim()));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const addPasted = (event: FormEvent) => {
    event.preventDefault();
    const ref = repoIdFromInput(pasted);
    if (ref === '') return;
    addHub(ref);
    setPasted('');
  };
  return (
    <section className="panel-section" aria-labelledby="hub-search-title">
      <h2 id="hub-search-title">Hugging Face Hub</h2>
      <form className="row" onSubmit={(e) => void search(e)} role="search">
        <input aria-label="Search models on the Hub" placeholder="Search models" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      {error === undefined ? null : <ErrorNote message={error} hint="Check the Hub endpoint under Hub settings." />}
      {hits === undefined ? null : hits.length === 0 ? (
        <p className="muted">No safetensors models match.</p>
      ) : (
        <ul className="hits" aria-label="Search results">
          {hits.map((hit) => (
            <li key={hit.id} className="hit">
              <div className="hit-name" title={hit.id}>
                {hit.id}
                {hit.gated ? <span className="badge">gated</span> : null}
              </div>
              <div className="hit-stats">
                <span title="downloads">↓ {formatCount(hit.downloads)}</span>
                <span title="likes">♥ {formatCount(hit.likes)}</span>
                {hit.sizeBytes === undefined ? null : <span title={`${formatCount(hit.params ?? 0)} parameters`}>{formatBytes(hit.sizeBytes)}</span>}
                {hit.architecture === undefined ? null : (
                  <span className="hit-arch" title="architecture">
                    {hit.architecture}
                  </span>
                )}
              </div>
              <button type="button" className="small" aria-label={`Add ${hit.id}`} onClick={() => addHub(hit.id)}>
                Add
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="row" onSubmit={addPasted}>
        <input aria-label="Repo id or URL" placeholder="owner/name or URL" value={pasted} onChange={(e) => setPasted(e.target.value)} />
        <button type="submit">Add</button>
      </form>
    </section>
  );
}

type InputPicker = (options: { id: string; mode: 'read' }) => Promise<FileSystemDirectoryHandle>;

function LocalFolder() {
  const addModel = useAppStore((s) => s.addModel);
  const loadLocalHandle = useAppStore((s) => s.loadLocalHandle);
  const addFiles = useAddLocalFiles();
  const { over, handlers } = useModelDrop();
  // With a directory picker the folder's handle is kept (IndexedDB), so a resumed run can read it again after a reload.
  const found = (globalThis as { showDirectoryPicker?: InputPicker }).showDirectoryPicker;
  const picker = found === undefined ? undefined : found.bind(globalThis);
  const pickFolder = async (open: InputPicker) => {
    let handle: FileSystemDirectoryHandle;
    try {
      handle = await open({ id: 'merge-studio-input', mode: 'read' });
    } catch {
      return; // The picker was dismissed.
    }
    addModel(await loadLocalHandle(handle));
  };
  const fileInput = (
    <input
      type="file"
      className="visually-hidden"
      data-testid="folder-input"
      // @ts-expect-error webkitdirectory is not in React's input attributes
      webkitdirectory=""
      multiple
      onChange={(e) => {
        const files = [...(e.target.files ?? [])];
        e.target.value = '';
        void addFiles(files);
      }}
    />
  );
  return (
    <section
      className={`panel-section dropzone${over ? ' is-over' : ''}`}
      aria-labelledby="local-title"
      {...handlers}
    >
      <h2 id="local-title">Local folder</h2>
      <p className="muted">Drop a model folder here or on the canvas, or pick one. Files are read in place, never uploaded.</p>
      {picker === undefined ? (
        <label className="button-like">
          Choose folder…
          {fileInput}
        </label>
      ) : (
        <>
          <button type="button" onClick={() => void pickFolder(picker)}>
            Choose folder…
          </button>
          {fileInput}
        </>
      )}
    </section>
  );
}

function ModelList() {
  const stages = useAppStore((s) => s.recipe.stages);
  const looseModels = useAppStore((s) => s.looseModels);
  const sources = useAppStore((s) => s.sources);
  const removeModel = useAppStore((s) => s.removeModel);
  const select = useAppStore((s) => s.select);
  const loadHubModel = useAppStore((s) => s.loadHubModel);
  // LoRA nodes on merge outputs are not models to load (the canvas and the inspector show them).
  const refs = allModelRefs({ stages, looseModels }).filter((ref) => !isStageLora(stages, ref));
  if (refs.length === 0) return null;
  return (
    <section className="panel-section" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      <ul className="model-list">
        {refs.map((ref) => {
          const entry = sourceEntryOf(sources, ref);
          return (
            <li key={ref} className="model-item" data-testid={`model-item-${ref}`}>
              <div className="model-item-head">
                <button type="button" className="link" onClick={() => select({ kind: 'model', ref })} title={ref}>
                  {ref}
                </button>
                <span className="muted small-text">{(entry?.kind ?? (isHubId(modelKeyOf(ref)) ? 'hub' : 'local')) === 'local' ? 'local' : 'hub'}</span>
                <button type="button" className="icon" aria-label={`Remove ${ref}`} onClick={() => removeModel(ref)}>
                  ×
                </button>
              </div>
              {entry === undefined && !isHubId(modelKeyOf(ref)) ? <p className="muted">Folder not added yet: drop it here or choose it above.</p> : null}
              {entry?.status === 'loading' ? <p className="muted">Reading headers…</p> : null}
              {entry?.status === 'ready' && entry.summary.adapter ? (
                <ModelFacts
                  facts={[
                    { label: 'LoRA adapter', value: 'put it on a model' },
                    { label: 'params', value: formatCount(entry.summary.params) },
                    { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
                  ]}
                />
              ) : null}
              {entry?.status === 'ready' && !entry.summary.adapter ? (
                <ModelFacts
                  facts={[
                    { label: 'architecture', value: entry.summary.architecture ?? 'unknown' },
                    { label: 'layers', value: String(entry.summary.layers) },
                    { label: 'params', value: formatCount(entry.summary.params) },
                    { label: 'dtype', value: entry.summary.dtype },
                    { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
                    ...(entry.summary.revision === undefined ? [] : [{ label: 'revision', value: entry.summary.revision.slice(0, 7) }]),
                    ...(modelKeyOf(ref) === ref ? [] : [{ label: 'LoRA', value: ref.slice(ref.indexOf('+') + 1) }]),
                  ]}
                />
              ) : null}
              {entry?.status === 'error' ? (
                <>
                  <ErrorNote testId={`model-error-${ref}`} message={entry.error.message} where={describeContext(entry.error.context)} hint={entry.error.hint} />
                  {entry.kind === 'hub' ? (
                    <button type="button" className="small retry" onClick={() => void loadHubModel(ref)}>
                      Try again
                    </button>
                  ) : null}
                </>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function HubSettingsForm() {
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  const persist = useAppStore((s) => s.persistToken);
  const setHubEndpoint = useAppStore((s) => s.setHubEndpoint);
  const setHubToken = useAppStore((s) => s.setHubToken);
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const commitEndpoint = () => {
    if (draft === undefined) return;
    try {
      setHubEndpoint(draft);
      setDraft(undefined);
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <details className="panel-section settings">
      <summary>Settings: Hub endpoint and access token</summary>
      <label className="field">
        <span>Endpoint</span>
        <input value={draft ?? endpoint} onChange={(e) => setDraft(e.target.value)} onBlur={commitEndpoint} />
      </label>
      {error === undefined ? null : <p className="field-error">{error}</p>}
      <label className="field">
        <span>Access token</span>
        <input type="password" autoComplete="off" value={token} placeholder="hf_… (for gated and private repos)" onChange={(e) => setHubToken(e.target.value, persist)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={persist} onChange={(e) => setHubToken(token, e.target.checked)} />
        Remember the token on this device
      </label>
      <p className="muted small-text">The token is sent only to the endpoint above, never put in links or recipes.</p>
      <button type="button" className="button" onClick={() => void startHubSignIn(endpoint).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))}>
        Sign in with Hugging Face (to publish)
      </button>
    </details>
  );
}
