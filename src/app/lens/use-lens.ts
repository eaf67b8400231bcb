/**
 * Runs weight lenses through the page's engine worker: the cost first (bytes and time, from headers only), then the
 * lens with progress, cancellable. One lens at a time per hook; a newer request replaces an older one's answer.
 */
import { useCallback, useRef, useState } from 'react';

import type { LensCost, LensRequest } from '../../engine/api';
import type { LensReport } from '../../methods/lens-report';
import { toAppError } from '../../shared/errors';
import { defaultJobDeps } from '../../state/job-slice';

export type LensState =
  | { readonly status: 'idle' }
  | { readonly status: 'costing' }
  | { readonly status: 'costed'; readonly cost: LensCost }
  | { readonly status: 'running'; readonly cost: LensCost | undefined; readonly done: number; readonly total: number }
  | { readonly status: 'done'; readonly reports: readonly LensReport[] }
  | { readonly status: 'cancelled' }
  | { readonly status: 'error'; readonly message: string };

export interface LensRunner {
  readonly state: LensState;
  estimate(request: LensRequest): Promise<void>;
  /** Runs the requests one after the other (the output against each parent is two lenses). */
  run(requests: readonly LensRequest[]): Promise<void>;
  cancel(): void;
  reset(): void;
}

export function useLens(): LensRunner {
  const [state, setState] = useState<LensState>({ status: 'idle' });
  const controller = useRef<AbortController | undefined>(undefined);
  const seq = useRef(0);

  const estimate = useCallback(async (request: LensRequest) => {
    const mine = ++seq.current;
    setState({ status: 'costing' });
    try {
      const cost = await defaultJobDeps.engine().lensCost(request);
      if (mine === seq.current) setState({ status: 'costed', cost });
    } catch (error) {
      if (mine === seq.current) setState({ status: 'error', message: toAppError(error).message });
    }
  }, []);

  const run = useCallback(
    async (requests: readonly LensRequest[]) => {
      const mine = ++seq.current;
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      const cost = state.status === 'costed' ? state.cost : undefined;
      const reports: LensReport[] = [];
      setState({ status: 'running', cost, done: 0, total: 0 });
      try {
        for (const request of requests) {
          // Event batches travel apart from the result and may land after it: a finished lens ignores them.
          let live = true;
          const report = await defaultJobDeps.engine().lens({
            ...request,
            signal: abort.signal,
            onEvents: (events) => {
              const last = events.findLast((e) => e.type === 'progress' || e.type === 'start');
              if (!live || mine !== seq.current || last === undefined) return;
              const offset = reports.length;
              if (last.type === 'start') setState({ status: 'running', cost, done: offset, total: last.tensorCount * requests.length });
              else if (last.type === 'progress') setState({ status: 'running', cost, done: offset * last.tensorCount + last.tensorsDone, total: last.tensorCount * requests.length });
            },
          }).finally(() => (live = false));
          reports.push(report);
        }
        if (mine === seq.current) setState({ status: 'done', reports });
      } catch (error) {
        const appError = toAppError(error);
        if (mine === seq.current) setState(appError.code === 'E_CANCELLED' ? { status: 'cancelled' } : { status: 'error', message: appError.message });
      } finally {
        if (controller.current === abort) controller.current = undefined;
      }
    },
    [state],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  const reset = useCallback(() => {
    seq.current++;
    controller.current?.abort();
    setState({ status: 'idle' });
  }, []);
  return { state, estimate, run, cancel, reset };
}
