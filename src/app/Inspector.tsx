/**
 * The right column's upper half: details of the selected node. A stage: method, inputs (each with its own
 * parameters), a way to wire inputs without dragging, and the global parameters. A model: its header facts or error,
 * its revision and a way to put a LoRA node on it. A LoRA node: the adapter's facts and whether it fits its model.
 * One file per inspector kind under `inspector/`.
 */
import { useEffect, useRef } from 'react';

import { METHODS } from '../methods/registry';
import { useAppStore } from '../state/hooks';
import { LoraInspector } from './inspector/LoraInspector';
import { ModelInspector } from './inspector/ModelInspector';
import { StageInspector } from './inspector/StageInspector';

/**
 * "+ Add merge…": a menu of the methods; picking one adds the merge node at once. A menu rather than a select, so it
 * never reads as the selected stage's method, and arrowing through it with the keyboard adds nothing by accident.
 */
function AddMergeMenu({ onAdd }: { onAdd(methodId: string): void }) {
  const menu = useRef<HTMLDetailsElement>(null);
  // A click elsewhere or Escape closes it, as menus do.
  useEffect(() => {
    const close = (event: Event) => {
      const details = menu.current;
      if (details === null || !details.open) return;
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !details.contains(event.target as Node)) details.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);
  return (
    <details className="add-merge" ref={menu}>
      <summary>+ Add merge…</summary>
      <div className="add-merge-menu" role="group" aria-label="Add a merge node">
        {METHODS.map((m) => (
          <button
            key={m.id}
            type="button"
            className="small"
            title={m.label}
            onClick={() => {
              if (menu.current !== null) menu.current.open = false;
              onAdd(m.id);
            }}
          >
            {m.label}
          </button>
        ))}
      </div>
    </details>
  );
}

export function Inspector() {
  const selection = useAppStore((s) => s.selection);
  const stageCount = useAppStore((s) => s.recipe.stages.length);
  const addStage = useAppStore((s) => s.addStage);
  const select = useAppStore((s) => s.select);
  return (
    <section className="panel-section inspector" aria-labelledby="inspector-title">
      <div className="section-head">
        <h2 id="inspector-title">Inspector</h2>
        <AddMergeMenu onAdd={(methodId) => select({ kind: 'stage', index: addStage(methodId) })} />
      </div>
      {selection?.kind === 'stage' && selection.index < stageCount ? <StageInspector index={selection.index} /> : null}
      {selection?.kind === 'model' ? <ModelInspector ref_={selection.ref} /> : null}
      {selection?.kind === 'lora' ? <LoraInspector ref_={selection.ref} /> : null}
      {selection === undefined ? <p className="muted">Select a node on the canvas to edit it.</p> : null}
    </section>
  );
}
