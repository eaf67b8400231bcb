import { useCallback, useRef, useState } from 'react';

import type { PublishProgress } from '../../io/hub-publish/progress';
import { publishFolder } from '../../io/hub-publish/publish';
import type { PublishResult } from '../../io/hub-publish/publish';
import { hubSettings } from '../../io/source/hub-client';
import { toAppError } from '../../shared/errors';
import type { AppError } from '../../shared/errors';
import { folderFiles } from './folder-files';

export type PublishStatus =
  | { readonly kind: 'idle' }
  | { readonly kind: 'publishing'; readonly progress: PublishProgress | undefined; readonly cancelling: boolean }
  | { readonly kind: 'done'; readonly result: PublishResult }
  | { readonly kind: 'stopped'; readonly error: AppError; readonly progress: PublishProgress | undefined };

export interface PublishRequest {
  readonly folder: FileSystemDirectoryHandle;
  readonly repo: string;
  readonly private: boolean;
  readonly card: string | undefined;
  readonly endpoint: string;
  readonly token: string;
}

/** One publish at a time: progress, cancel, and a stopped upload that "Resume" starts again (the Hub skips what it has). */
export function usePublish(): { status: PublishStatus; publish: (request: PublishRequest) => void; cancel: () => void } {
  const [status, setStatus] = useState<PublishStatus>({ kind: 'idle' });
  const controller = useRef<AbortController | undefined>(undefined);
  const publish = useCallback((request: PublishRequest) => {
    if (controller.current !== undefined) return;
    const abort = new AbortController();
    controller.current = abort;
    let last: PublishProgress | undefined;
    setStatus({ kind: 'publishing', progress: undefined, cancelling: false });
    void (async () => {
      try {
        const files = await folderFiles(request.folder, request.card);
        const result = await publishFolder({
          repo: request.repo,
          private: request.private,
          files,
          hub: hubSettings({ endpoint: request.endpoint, token: request.token }),
          signal: abort.signal,
          onProgress: (progress) => {
            last = progress;
            setStatus((s) => (s.kind === 'publishing' ? { ...s, progress } : s));
          },
        });
        setStatus({ kind: 'done', result });
      } catch (e) {
        setStatus({ kind: 'stopped', error: toAppError(e), progress: last });
      } finally {
        controller.current = undefined;
      }
    })();
  }, []);
  const cancel = useCallback(() => {
    controller.current?.abort();
    setStatus((s) => (s.kind === 'publishing' ? { ...s, cancelling: true } : s));
  }, []);
  return { status, publish, cancel };
}
