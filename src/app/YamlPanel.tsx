/**
 * The recipe as mergekit YAML, in two-way sync with the canvas: typing updates the canvas as soon as the text parses;
 * a parse error shows its line:column while the canvas keeps the last good recipe. Import by paste or file; export.
 */
import { useRef, useState } from 'react';

import { describeContext } from '../shared/errors';
import type { ErrorContext } from '../shared/errors';
import { useAppStore } from '../state/hooks';
import { ErrorNote } from '../ui/ErrorNote';

export function YamlPanel() {
  const yamlText = useAppStore((s) => s.yamlText);
  const yamlError = useAppStore((s) => s.yamlError);
  const setYaml = useAppStore((s) => s.setYaml);
  const permalink = useAppStore((s) => s.permalink);
  const undo = useAppStore((s) => s.undo);
  const redo = useAppStore((s) => s.redo);
  const canUndo = useAppStore((s) => s.past.length > 0);
  const canRedo = useAppStore((s) => s.future.length > 0);
  const fileInput = useRef<HTMLInputElement>(null);
  /** The last link made, with the text it encodes (hidden once the recipe changes). */
  const [link, setLink] = useState<{ url: string; yaml: string; copied: boolean } | undefined>(undefined);

  const download = () => {
    const url = URL.createObjectURL(new Blob([yamlText], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'merge.yml';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const copyLink = async () => {
    const url = permalink(window.location.href);
    let copied = true;
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      copied = false; // no clipboard permission: the link is shown to copy by hand
    }
    setLink({ url, yaml: yamlText, copied });
  };
  const shownLink = link?.yaml === yamlText ? link : undefined;
  const lines = yamlText === '' ? 1 : yamlText.split('\n').length;

  return (
    <section className="panel-section yaml-panel" aria-labelledby="yaml-title">
      <div className="section-head">
        <h2 id="yaml-title">Recipe YAML</h2>
        <div className="toolbar">
          <button type="button" className="small" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" className="small" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <button type="button" className="small" onClick={() => fileInput.current?.click()}>
            Import…
          </button>
          <button type="button" className="small" onClick={download} disabled={yamlText === ''}>
            Download
          </button>
          <button type="button" className="small" onClick={() => void copyLink()} disabled={yamlText === ''}>
            {shownLink?.copied === true ? 'Link copied' : 'Copy link'}
          </button>
        </div>
      </div>
      {shownLink === undefined ? null : (
        <input className="permalink" readOnly aria-label="Link to this recipe" value={shownLink.url} onFocus={(e) => e.target.select()} />
      )}
      <input
        ref={fileInput}
        type="file"
        accept=".yml,.yaml,text/yaml"
        className="visually-hidden"
        data-testid="yaml-file-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file !== undefined) void file.text().then((text) => setYaml(text));
        }}
      />
      <textarea
        aria-label="Recipe YAML"
        className={`yaml-text${yamlError === undefined ? '' : ' has-error'}`}
        value={yamlText}
        rows={Math.min(24, Math.max(8, lines + 1))}
        spellCheck={false}
        placeholder={'merge_method: slerp\nbase_model: owner/model-a\nmodels:\n  - model: owner/model-b\nparameters:\n  t: 0.5'}
        onChange={(e) => setYaml(e.target.value)}
      />
      {yamlError === undefined ? (
        <p className="muted small-text" data-testid="yaml-status">
          {yamlText === '' ? 'Paste a mergekit recipe, or build one on the canvas.' : 'In sync with the canvas.'}
        </p>
      ) : (
        <ErrorNote
          testId="yaml-error"
          message={yamlError.context.line === undefined ? yamlError.message : `${yamlError.context.line}:${yamlError.context.column ?? 1} — ${yamlError.message}`}
          where={describeContext(withoutPosition(yamlError.context))}
          hint={`${yamlError.hint ?? ''} The canvas shows the last recipe that parsed.`.trim()}
        />
      )}
    </section>
  );
}

/** The context minus line and column, which the message already leads with. */
function withoutPosition(context: ErrorContext): ErrorContext {
  const { line: _line, column: _column, ...rest } = context;
  return rest;
}
