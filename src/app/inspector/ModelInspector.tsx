/** A model in the inspector: its header facts or error, its revision, and a way to put a LoRA node on it. */
import { useState } from 'react';
import type { FormEvent } from 'react';

import { describeContext } from '../../shared/errors';
import { useAppStore } from '../../state/hooks';
import { formatBytes } from '../../shared/format';
import { formatCount } from '../../state/model-summary';
import { sourceEntryOf } from '../../state/sources-slice';
import { ErrorNote } from '../../ui/ErrorNote';
import { ModelFacts } from '../../ui/ModelFacts';
import { RevisionControl } from './RevisionControl';

export function ModelInspector({ ref_ }: { ref_: string }) {
  const entry = useAppStore((s) => sourceEntryOf(s.sources, ref_));
  return (
    <div className="model-inspector">
      <div className="inspector-title">
        <strong>{ref_}</strong>
        <span className="muted">{entry?.kind === 'local' ? 'local folder' : 'Hub model'}</span>
      </div>
      {entry?.kind === 'local' ? null : <RevisionControl key={ref_} ref_={ref_} />}
      <AddLoraNode model={ref_} />
      {entry === undefined ? <p className="muted">Its headers have not been read: add it from the Hub or a local folder.</p> : null}
      {entry?.status === 'loading' ? <p className="muted">Reading headers…</p> : null}
      {entry?.status === 'error' ? <ErrorNote message={entry.error.message} where={describeContext(entry.error.context)} hint={entry.error.hint} /> : null}
      {entry?.status === 'ready' ? (
        <ModelFacts
          facts={[
            { label: 'architecture', value: entry.summary.architecture ?? 'unknown' },
            { label: 'layers', value: String(entry.summary.layers) },
            ...(entry.summary.vocab === undefined ? [] : [{ label: 'vocabulary', value: formatCount(entry.summary.vocab) }]),
            { label: 'parameters', value: formatCount(entry.summary.params) },
            { label: 'dtype', value: entry.summary.dtype },
            { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
            { label: 'revision', value: entry.summary.revision?.slice(0, 7) ?? 'local' },
          ]}
        />
      ) : null}
    </div>
  );
}

/** Puts a LoRA node on a model: the adapter's Hub id or folder; the node is then wired into merges like a model. */
function AddLoraNode({ model }: { model: string }) {
  const addLora = useAppStore((s) => s.addLora);
  const select = useAppStore((s) => s.select);
  const sources = useAppStore((s) => s.sources);
  // Adapter folders the studio has read are offered by name.
  const known = Object.entries(sources).flatMap(([ref, entry]) => (entry.status === 'ready' && entry.summary.adapter ? [ref] : []));
  const [adapter, setAdapter] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const add = (event: FormEvent) => {
    event.preventDefault();
    const reason = addLora(model, adapter);
    setError(reason);
    if (reason !== undefined) return;
    select({ kind: 'lora', ref: `${model}+${adapter.trim()}` });
    setAdapter('');
  };
  return (
    <form className="row lora-row" onSubmit={add}>
      <input aria-label={`LoRA adapter to put on ${model}`} list={`adapters-${model}`} placeholder="LoRA: Hub id or folder" value={adapter} onChange={(e) => setAdapter(e.target.value)} />
      <datalist id={`adapters-${model}`}>
        {known.map((ref) => (
          <option key={ref} value={ref} label="local adapter folder" />
        ))}
      </datalist>
      <button type="submit" className="small" disabled={adapter.trim() === ''}>
        Add LoRA node
      </button>
      {error === undefined ? null : <span className="error-text">{error}</span>}
    </form>
  );
}
