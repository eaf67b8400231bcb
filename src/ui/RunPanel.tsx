/**
 * The run panel: the plan's summary, notices, Run / Resume / Cancel, live progress (overall, per tensor, per shard)
 * and the files written. Presentational: every text is formatted by the caller, every button reports an event.
 */

export interface Notice {
  readonly kind: 'info' | 'warn' | 'error' | 'ok';
  readonly title: string;
  readonly text?: string | undefined;
  readonly hint?: string | undefined;
  /** Buttons inside the notice. */
  readonly actions?: readonly { readonly label: string; readonly onClick: () => void }[];
}

export interface RunProgressView {
  /** 0…1 of the bytes to write. */
  readonly fraction: number;
  readonly headline: string;
  readonly tensors: string;
  readonly bytes: string;
  readonly rate: string;
  readonly eta: string;
  readonly currentTensor: string | undefined;
  /** 0…1 of the current tensor, and its size in words. */
  readonly tensorFraction: number;
  readonly tensorSize: string;
  readonly shards: readonly { readonly file: string; readonly status: 'waiting' | 'writing' | 'written' | 'kept' }[];
}

export interface RunPanelProps {
  readonly summary: readonly { readonly label: string; readonly value: string }[] | undefined;
  readonly summaryNote: string | undefined;
  readonly notices: readonly Notice[];
  readonly progress: RunProgressView | undefined;
  readonly files: readonly { readonly name: string; readonly size: string; readonly onDownload?: (() => void) | undefined }[] | undefined;
  readonly filesTitle: string;
  /** Run and friends are hidden until there is something to merge. */
  readonly actionsVisible: boolean;
  readonly canRun: boolean;
  readonly runLabel: string;
  readonly canResume: boolean;
  readonly canCancel: boolean;
  readonly cancelling: boolean;
  readonly onRun: () => void;
  readonly onResume: () => void;
  readonly onCancel: () => void;
}

const SHARD_LABEL: Record<RunProgressView['shards'][number]['status'], string> = { waiting: 'waiting', writing: 'writing', written: 'written', kept: 'kept from before' };

export function RunPanel(props: RunPanelProps) {
  return (
    <div className="run-panel">
      {props.summary === undefined ? null : (
        <section aria-label="Plan summary">
          <dl className="plan-summary" data-testid="plan-summary">
            {props.summary.map((item) => (
              <div key={item.label} className="plan-item">
                <dt>{item.label}</dt>
                <dd>{item.value}</dd>
              </div>
            ))}
          </dl>
          {props.summaryNote === undefined ? null : (
            <p className="muted small summary-note" title={props.summaryNote}>
              {props.summaryNote}
            </p>
          )}
        </section>
      )}

      {props.actionsVisible ? (
        <div className="run-actions">
          <button type="button" className="button primary" disabled={!props.canRun} onClick={props.onRun}>
            {props.runLabel}
          </button>
          {props.canResume ? (
            <button type="button" className="button primary" onClick={props.onResume}>
              Resume
            </button>
          ) : null}
          {props.canCancel ? (
            <button type="button" className="button danger" disabled={props.cancelling} onClick={props.onCancel}>
              {props.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
        </div>
      ) : null}

      {props.progress === undefined ? null : <Progress view={props.progress} />}

      {props.notices.map((notice) => (
        <div key={notice.title} className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
          <strong>{notice.title}</strong>
          {notice.text === undefined ? null : <span>{notice.text}</span>}
          {notice.hint === undefined ? null : <span className="notice-hint">{notice.hint}</span>}
          {notice.actions === undefined ? null : (
            <span className="notice-actions">
              {notice.actions.map((action) => (
                <button key={action.label} type="button" className="button" onClick={action.onClick}>
                  {action.label}
                </button>
              ))}
            </span>
          )}
        </div>
      ))}


      {props.files === undefined ? null : (
        <section aria-label={props.filesTitle}>
          <h3 className="subhead">{props.filesTitle}</h3>
          <ul className="file-list" data-testid="result-files">
            {props.files.map((file) => (
              <li key={file.name}>
                <span className="file-name">{file.name}</span>
                <span className="file-size">{file.size}</span>
                {file.onDownload === undefined ? null : (
                  <button type="button" className="button small" onClick={file.onDownload}>
                    Download
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function Progress({ view }: { readonly view: RunProgressView }) {
  const percent = Math.round(view.fraction * 1000) / 10;
  return (
    <section className="progress" aria-label="Progress" data-testid="run-progress">
      <div className="progress-head">
        <strong>{view.headline}</strong>
        <span>{percent.toFixed(1)} %</span>
      </div>
      <div className="bar" role="progressbar" aria-label="Bytes written" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
      <div className="progress-facts">
        <span data-testid="progress-tensors">{view.tensors}</span>
        <span>{view.bytes}</span>
        <span>{view.rate}</span>
        <span>{view.eta}</span>
      </div>
      <div className="current-tensor" title={view.currentTensor}>
        {view.currentTensor === undefined ? (
          '\u00a0'
        ) : (
          <>
            <code>{view.currentTensor}</code> <span>{view.tensorSize}</span>
          </>
        )}
      </div>
      {view.currentTensor === undefined ? null : (
        <div className="bar thin" role="progressbar" aria-label="Current tensor" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(view.tensorFraction * 100)}>
          <div className="bar-fill" style={{ width: `${view.tensorFraction * 100}%` }} />
        </div>
      )}
      {view.shards.length > 1 ? (
        <ol className="shards" aria-label="Shards">
          {view.shards.map((shard) => (
            <li key={shard.file} className={`shard shard-${shard.status}`} title={`${shard.file}: ${SHARD_LABEL[shard.status]}`}>
              <span className="shard-dot" />
              <span className="shard-name">{shard.file.replace(/^model-0*(\d+)-of-0*(\d+)\.safetensors$/, '$1/$2')}</span>
              <span className="shard-status">{SHARD_LABEL[shard.status]}</span>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}
