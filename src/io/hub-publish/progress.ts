import type { CommitProgressEvent } from '@huggingface/hub';

export type PublishPhase = 'connecting' | 'preuploading' | 'uploading' | 'committing' | 'done';

/** One file's state: `stored` means the Hub already had its bytes (an earlier, interrupted upload), so none were sent. */
export type FileState = 'waiting' | 'hashing' | 'uploading' | 'uploaded' | 'stored' | 'inline';

export interface FileProgress {
  readonly path: string;
  readonly size: number;
  readonly state: FileState;
  /** 0…1 of the current state (hashing or uploading). */
  readonly fraction: number;
}

export interface PublishProgress {
  readonly phase: PublishPhase;
  readonly files: readonly FileProgress[];
  /** Bytes whose transfer is finished or not needed (stored on the Hub already), out of all bytes. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/**
 * Folds `@huggingface/hub`'s commit events into per-file and total progress. Small files travel inside the commit
 * body (`inline`): they count as done when the commit is accepted.
 */
export class ProgressTracker {
  private phase: PublishPhase = 'connecting';
  private readonly files: Map<string, FileProgress>;

  constructor(files: readonly { readonly path: string; readonly size: number }[]) {
    this.files = new Map(files.map((f) => [f.path, { path: f.path, size: f.size, state: 'waiting', fraction: 0 }]));
  }

  setPhase(phase: PublishPhase): void {
    this.phase = phase;
    if (phase !== 'done') return;
    for (const [path, file] of this.files) if (file.state !== 'uploaded' && file.state !== 'stored') this.files.set(path, { ...file, state: 'inline', fraction: 1 });
  }

  apply(event: CommitProgressEvent): void {
    if (event.event === 'phase') {
      this.phase = event.phase === 'uploadingLargeFiles' ? 'uploading' : event.phase;
      return;
    }
    const file = this.files.get(event.path);
    if (file === undefined || event.state === 'error') return;
    if (event.state === 'hashing') {
      this.files.set(event.path, { ...file, state: 'hashing', fraction: event.progress });
      return;
    }
    // An object the Hub already stores is reported done at once, without a start-of-upload event.
    if (event.progress >= 1) this.files.set(event.path, { ...file, state: file.state === 'uploading' ? 'uploaded' : 'stored', fraction: 1 });
    else this.files.set(event.path, { ...file, state: 'uploading', fraction: event.progress });
  }

  snapshot(): PublishProgress {
    const files = [...this.files.values()];
    const done = (f: FileProgress) => (f.state === 'uploaded' || f.state === 'stored' || f.state === 'inline' ? f.size : f.state === 'uploading' ? f.size * f.fraction : 0);
    return {
      phase: this.phase,
      files,
      bytesDone: files.reduce((sum, f) => sum + done(f), 0),
      bytesTotal: files.reduce((sum, f) => sum + f.size, 0),
    };
  }
}
