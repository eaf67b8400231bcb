/**
 * The run area as a bottom drawer under the canvas: collapsed, a one-line status (phase, progress, ETA) with the next
 * action; open, the output settings, the run panel and any further sections (`children`: panels about a finished run
 * mount there). It never covers the canvas: the canvas shrinks while it is open and takes the room back when it closes.
 */
import type { ReactNode } from 'react';

import { useAppStore } from '../../state/hooks';
import type { RunStatus } from './run-status';

export interface RunDrawerProps {
  readonly status: RunStatus;
  /** The next step, offered on the status line while the drawer is collapsed. */
  readonly action?: { readonly label: string; readonly disabled: boolean; readonly primary: boolean; onClick(): void } | undefined;
  /** Progress of a running merge, 0…1, drawn under the status line. */
  readonly fraction?: number | undefined;
  readonly children: ReactNode;
}

export function RunDrawer({ status, action, fraction, children }: RunDrawerProps) {
  const open = useAppStore((s) => s.layout.run);
  const toggle = useAppStore((s) => s.togglePanel);
  return (
    <section className={`run-drawer${open ? ' is-open' : ''}`} aria-labelledby="run-title" data-testid="run-drawer">
      <div className="run-bar">
        <button type="button" className="run-toggle" aria-expanded={open} aria-controls="run-body" onClick={() => toggle('run')}>
          <span aria-hidden="true">{open ? '▾' : '▴'}</span>
          <span id="run-title" className="run-title">
            Run
          </span>
        </button>
        <p className={`run-status run-status-${status.tone}`} data-testid="run-status" aria-live="polite" title={status.text}>
          {status.text}
        </p>
        {open || action === undefined ? null : (
          <button type="button" className={`button small${action.primary ? ' primary' : ''}`} disabled={action.disabled} onClick={action.onClick}>
            {action.label}
          </button>
        )}
        {fraction === undefined ? null : (
          <div className="run-bar-progress" aria-hidden="true">
            <div className="run-bar-fill" style={{ width: `${Math.round(fraction * 100)}%` }} />
          </div>
        )}
      </div>
      <div id="run-body" className="panel run-area" hidden={!open}>
        {children}
      </div>
    </section>
  );
}
