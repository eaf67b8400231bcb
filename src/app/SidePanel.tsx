/**
 * A side column that collapses to a narrow rail (its toggle stays there, so the canvas takes the room); the choice is
 * kept by the layout slice. Collapsed content stays mounted, hidden, so half-typed searches and settings survive.
 */
import type { ReactNode } from 'react';

import { useAppStore } from '../state/hooks';
import type { PanelId } from '../state/layout-slice';

export interface SidePanelProps {
  readonly id: PanelId;
  readonly side: 'left' | 'right';
  readonly label: string;
  readonly children: ReactNode;
}

export function SidePanel({ id, side, label, children }: SidePanelProps) {
  const open = useAppStore((s) => s.layout[id]);
  const toggle = useAppStore((s) => s.togglePanel);
  const arrow = (side === 'left') === open ? '‹' : '›';
  return (
    <aside className={`side side-${side}${open ? '' : ' is-collapsed'}`} aria-label={label} data-testid={`panel-${id}`}>
      <button
        type="button"
        className="panel-toggle"
        aria-expanded={open}
        aria-controls={`panel-body-${id}`}
        title={open ? `Hide ${label.toLowerCase()}` : `Show ${label.toLowerCase()}`}
        onClick={() => toggle(id)}
      >
        <span aria-hidden="true">{arrow}</span>
        <span className="panel-toggle-label">{label}</span>
      </button>
      <div id={`panel-body-${id}`} className="side-body" hidden={!open}>
        {children}
      </div>
    </aside>
  );
}
