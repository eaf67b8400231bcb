/**
 * The Try it panel's state: up to two models loaded in the tab (the finished merge, and one parent beside it), a chat
 * sent to both at once, and perplexity rows. Sessions are disposed (and their temporary GGUF removed) when replaced,
 * when the panel closes, or when the page leaves.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import type { HubAccess, SourceSpec } from '../../engine/api';
import { toAppError } from '../../shared/errors';
import type { ErrorPayload } from '../../shared/errors';
import { checkFitsTab } from '../../tryit/convert';
import { perplexityOf } from '../../tryit/perplexity';
import type { PerplexityRow } from '../../tryit/perplexity';
import { TryItSession } from '../../tryit/session';
import type { ChatTurn, Sampling } from '../../tryit/session';
import { convertToGguf, dropGguf, existingGguf } from '../../state/try-it-gguf';

export type SlotId = 'merge' | 'parent';

/** A perplexity row as shown: also the token ids the walk took. */
export type MeasuredRow = PerplexityRow & { readonly ids: readonly number[] };

/** A chat turn as shown: an answer also keeps the token ids it was generated as. */
export type ShownTurn = ChatTurn & { readonly ids?: readonly number[] };

export interface SlotView {
  readonly label: string;
  readonly phase: 'converting' | 'loading' | 'ready' | 'failed';
  readonly progress: number;
  readonly note: string | undefined;
  readonly error: ErrorPayload | undefined;
  readonly turns: readonly ShownTurn[];
  /** The answer being streamed. */
  readonly streaming: string | undefined;
  readonly tokensPerSecond: number | undefined;
}

export interface ModelToLoad {
  readonly label: string;
  /** The model as a recipe names it. */
  readonly model: string;
  /** A finished folder to read a `.gguf` from before converting. */
  readonly folder?: FileSystemDirectoryHandle | undefined;
  readonly source: SourceSpec | undefined;
  readonly hub: HubAccess;
  /** Parameters, for the size check (undefined: not checked). */
  readonly params?: number | undefined;
}

const LOAD_CONTEXT = 2048;

export function useTryIt() {
  const [slots, setSlots] = useState<Partial<Record<SlotId, SlotView>>>({});
  const [rows, setRows] = useState<readonly MeasuredRow[]>([]);
  const [busy, setBusy] = useState<'chat' | 'measure' | undefined>(undefined);
  const [measureError, setMeasureError] = useState<ErrorPayload | undefined>(undefined);
  const sessions = useRef<Partial<Record<SlotId, TryItSession>>>({});
  const stopper = useRef<AbortController | undefined>(undefined);

  const patch = useCallback((id: SlotId, change: Partial<SlotView>) => {
    setSlots((s) => {
      const current = s[id];
      return current === undefined ? s : { ...s, [id]: { ...current, ...change } };
    });
  }, []);

  const unload = useCallback(async (id: SlotId) => {
    const session = sessions.current[id];
    delete sessions.current[id];
    await session?.dispose().catch(() => undefined);
    await dropGguf(id).catch(() => undefined);
  }, []);

  useEffect(
    () => () => {
      stopper.current?.abort();
      void unload('merge');
      void unload('parent');
    },
    [unload],
  );

  const load = useCallback(
    async (id: SlotId, target: ModelToLoad) => {
      await unload(id);
      setSlots((s) => ({ ...s, [id]: { label: target.label, phase: 'converting', progress: 0, note: undefined, error: undefined, turns: [], streaming: undefined, tokensPerSecond: undefined } }));
      try {
        if (target.params !== undefined) checkFitsTab(target.model, target.params);
        let files = target.folder === undefined ? [] : await existingGguf(target.folder);
        if (files.length === 0) {
          files = await convertToGguf({ slot: id, model: target.model, source: target.source, hub: target.hub, onProgress: (progress) => patch(id, { progress }) });
        }
        patch(id, { phase: 'loading', progress: 1 });
        const session = await TryItSession.load(target.label, files, { contextSize: LOAD_CONTEXT });
        sessions.current[id] = session;
        const threads = session.info.multiThread ? `${session.info.threads} threads` : globalThis.crossOriginIsolated ? 'one thread' : 'one thread (the page is not cross-origin isolated)';
        patch(id, { phase: 'ready', note: `${session.info.layers} layers, ${session.info.vocabulary} tokens, ${threads}${session.info.chatTemplate === undefined ? ', no chat template (ChatML is used)' : ''}` });
      } catch (error) {
        patch(id, { phase: 'failed', error: toAppError(error).toPayload() });
      }
    },
    [patch, unload],
  );

  const send = useCallback(
    async (prompt: string, sampling: Sampling) => {
      const ready = (Object.keys(sessions.current) as SlotId[]).filter((id) => sessions.current[id] !== undefined);
      if (prompt.trim() === '' || ready.length === 0) return;
      const controller = new AbortController();
      stopper.current = controller;
      setBusy('chat');
      // One model at a time: both share the tab's cores.
      for (const id of ready) {
        const session = sessions.current[id];
        const before = slots[id]?.turns ?? [];
        const turns: ShownTurn[] = [...before, { role: 'user', content: prompt }];
        patch(id, { turns, streaming: '', error: undefined });
        if (session === undefined || controller.signal.aborted) continue;
        let text = '';
        try {
          const done = await session.chat(turns, sampling, (delta) => patch(id, { streaming: (text += delta) }), controller.signal);
          patch(id, { turns: [...turns, { role: 'assistant', content: done.text, ids: done.ids }], streaming: undefined, tokensPerSecond: done.tokensPerSecond });
        } catch (error) {
          patch(id, { streaming: undefined, error: toAppError(error).toPayload() });
        }
      }
      setBusy(undefined);
    },
    [patch, slots],
  );

  const measure = useCallback(
    async (text: string) => {
      setBusy('measure');
      setMeasureError(undefined);
      const out: MeasuredRow[] = [];
      for (const id of ['merge', 'parent'] as const) {
        const session = sessions.current[id];
        if (session === undefined) continue;
        try {
          const scored = await session.score(text);
          out.push({ model: session.info.name, perplexity: perplexityOf(scored.tokens.map((t) => t.logprob)), tokens: scored.tokens.length, tokensPerSecond: scored.seconds > 0 ? scored.tokens.length / scored.seconds : 0, ids: scored.tokens.map((t) => t.id) });
        } catch (error) {
          // llama.cpp stops after such a failure: the slot needs a reload; the other model is still measured.
          delete sessions.current[id];
          void session.dispose().catch(() => undefined);
          patch(id, { phase: 'failed', note: undefined });
          setMeasureError(toAppError(error).toPayload());
        }
      }
      setRows(out);
      setBusy(undefined);
    },
    [patch],
  );

  return { slots, rows, busy, measureError, load, send, measure, stop: () => stopper.current?.abort(), unload };
}
