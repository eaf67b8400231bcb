/**
 * Try it: after a finished merge, loads it into llama.cpp in the tab (converted to Q8_0 GGUF by the engine unless the
 * folder has a `.gguf`), chats with it and with a parent side by side, and measures perplexity of both on a text.
 */
import { useEffect, useState } from 'react';

import { formatBytes } from '../../shared/format';
import { describeContext } from '../../shared/errors';
import type { ErrorPayload } from '../../shared/errors';
import { useAppStore } from '../../state/hooks';
import { sourceEntryOf } from '../../state/sources-slice';
import { TAB_LIMIT_BYTES } from '../../tryit/convert';
import { SAMPLE_TEXT } from '../../tryit/perplexity';
import { ErrorNote } from '../../ui/ErrorNote';
import { useTryIt } from './use-try-it';
import type { SlotId, SlotView } from './use-try-it';
import './tryit.css';

function Problem({ error, testId }: { readonly error: ErrorPayload; readonly testId: string }) {
  return <ErrorNote message={error.message} where={describeContext(error.context)} hint={error.hint} testId={testId} />;
}

function Slot({ id, view }: { readonly id: SlotId; readonly view: SlotView }) {
  const status =
    view.phase === 'converting' ? `Converting to GGUF… ${Math.round(view.progress * 100)}%` : view.phase === 'loading' ? 'Loading into llama.cpp…' : view.phase === 'ready' ? view.note : 'Not loaded';
  return (
    <div className="tryit-slot" data-testid={`tryit-${id}`}>
      <h4 className="tryit-slot-title">{view.label}</h4>
      <p className="muted small" data-testid={`tryit-${id}-status`}>
        {status}
        {view.tokensPerSecond === undefined ? '' : ` · ${view.tokensPerSecond.toFixed(1)} tokens/s`}
      </p>
      {view.phase === 'converting' || view.phase === 'loading' ? <progress max={1} value={view.phase === 'loading' ? undefined : view.progress} aria-label={`Loading ${view.label}`} /> : null}
      {view.error === undefined ? null : <Problem error={view.error} testId={`tryit-${id}-error`} />}
      <div className="tryit-transcript" aria-live="polite">
        {view.turns.map((turn, i) => (
          <p key={i} className={`tryit-turn tryit-${turn.role}`} data-tokens={turn.ids?.join(',')}>
            {turn.content}
          </p>
        ))}
        {view.streaming === undefined ? null : <p className="tryit-turn tryit-assistant tryit-streaming">{view.streaming}</p>}
      </div>
    </div>
  );
}

export function TryIt() {
  const job = useAppStore((s) => s.job);
  const sources = useAppStore((s) => s.sources);
  const tryit = useTryIt();
  const [prompt, setPrompt] = useState('Write one sentence about rivers.');
  const [temperature, setTemperature] = useState(0.7);
  const [topP, setTopP] = useState(0.95);
  const [maxTokens, setMaxTokens] = useState(128);
  const [text, setText] = useState(SAMPLE_TEXT);
  const [parent, setParent] = useState<string | undefined>(undefined);
  const recordPerplexity = useAppStore((s) => s.recordPerplexity);
  const { rows } = tryit;
  useEffect(() => {
    // Measured rows go into the model card draft (the publish panel's Measurements section).
    if (rows.length > 0) recordPerplexity(rows.map(({ ids: _ids, ...row }) => row));
  }, [rows, recordPerplexity]);

  if (job.phase !== 'done' || job.folder === undefined || job.input === undefined) return null;
  const { folder, input } = job;
  const parents = (job.plan?.inputs ?? []).map((i) => i.ref);
  const chosenParent = parent ?? parents[0];
  const bytesPerWeight = job.output.dtype === 'float32' ? 4 : 2;
  const ready = Object.values(tryit.slots).some((s) => s.phase === 'ready');
  const loading = Object.values(tryit.slots).some((s) => s.phase === 'converting' || s.phase === 'loading');

  return (
    <section className="tryit" aria-labelledby="tryit-title" data-testid="tryit">
      <h3 id="tryit-title" className="subhead">
        Try it in the tab
      </h3>
      <p className="muted small">
        llama.cpp runs the merge here, offline, as Q8_0 (the tab holds up to about {formatBytes(TAB_LIMIT_BYTES)} of weights: models up to about 3B parameters).
      </p>
      <div className="tryit-load">
        <button type="button" className="button primary" disabled={loading} onClick={() => void tryit.load('merge', { label: job.output.name, model: job.output.name, folder: folder.handle, source: { kind: 'directory', handle: folder.handle }, hub: input.hub, params: (job.plan?.outputBytes ?? 0) / bytesPerWeight })}>
          {tryit.slots.merge === undefined ? 'Load the merge' : 'Reload the merge'}
        </button>
        {parents.length === 0 ? null : (
          <>
            <label className="tryit-field">
              <span>Parent</span>
              <select value={chosenParent} onChange={(e) => setParent(e.target.value)} disabled={loading}>
                {parents.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="button"
              disabled={loading || chosenParent === undefined}
              onClick={() => {
                if (chosenParent === undefined) return;
                const facts = sourceEntryOf(sources, chosenParent);
                void tryit.load('parent', { label: chosenParent, model: chosenParent, source: input.sources[chosenParent], hub: input.hub, params: facts?.status === 'ready' ? facts.summary.params : undefined });
              }}
            >
              Load beside it
            </button>
          </>
        )}
      </div>
      <div className="tryit-slots">
        {(['merge', 'parent'] as const).map((id) => {
          const view = tryit.slots[id];
          return view === undefined ? null : <Slot key={id} id={id} view={view} />;
        })}
      </div>
      {!ready ? null : (
        <>
          <form
            className="tryit-chat"
            onSubmit={(e) => {
              e.preventDefault();
              void tryit.send(prompt, { temperature, topP, maxTokens, seed: 42 });
            }}
          >
            <textarea aria-label="Prompt" value={prompt} rows={2} onChange={(e) => setPrompt(e.target.value)} />
            <div className="tryit-sampling">
              <label className="tryit-field">
                <span>Temperature</span>
                <input type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Number(e.target.value))} />
              </label>
              <label className="tryit-field">
                <span>Top-p</span>
                <input type="number" min={0} max={1} step={0.05} value={topP} onChange={(e) => setTopP(Number(e.target.value))} />
              </label>
              <label className="tryit-field">
                <span>Max tokens</span>
                <input type="number" min={1} max={2048} step={1} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Math.floor(Number(e.target.value))))} />
              </label>
              {tryit.busy === 'chat' ? (
                <button type="button" className="button danger" onClick={tryit.stop}>
                  Stop
                </button>
              ) : (
                <button type="submit" className="button primary" disabled={tryit.busy !== undefined}>
                  Send
                </button>
              )}
            </div>
          </form>
          <div className="tryit-perplexity">
            <textarea aria-label="Text to measure" value={text} rows={3} onChange={(e) => setText(e.target.value)} />
            <button type="button" className="button" disabled={tryit.busy !== undefined || text.trim() === ''} onClick={() => void tryit.measure(text)}>
              {tryit.busy === 'measure' ? 'Measuring…' : 'Measure perplexity'}
            </button>
            {tryit.measureError === undefined ? null : <Problem error={tryit.measureError} testId="tryit-measure-error" />}
            {tryit.rows.length === 0 ? null : (
              <table className="tryit-table" data-testid="tryit-perplexity">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Perplexity</th>
                    <th>Tokens</th>
                    <th>Tokens/s</th>
                  </tr>
                </thead>
                <tbody>
                  {tryit.rows.map((row) => (
                    <tr key={row.model} data-tokens={row.ids.join(',')}>
                      <td>{row.model}</td>
                      <td>{row.perplexity.toFixed(3)}</td>
                      <td>{row.tokens}</td>
                      <td>{row.tokensPerSecond.toFixed(1)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}
