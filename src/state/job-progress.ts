/**
 * Run progress as the run panel shows it, folded from the engine's events: tensors and bytes done, throughput, ETA,
 * the tensor being written, and each shard's state. Pure, so one batch of events becomes one store update.
 */
import type { EngineEvent, PlanOverview } from '../engine/api';

export type ShardStatus = 'waiting' | 'writing' | 'written' | 'kept';

export interface RunProgress {
  readonly tensorsDone: number;
  readonly tensorCount: number;
  /** Output tensor bytes written in this run (shards kept by a resume are not counted). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | undefined;
  readonly currentTensor: string | undefined;
  /** Bytes of the current tensor, and how many of the run's bytes came before it. */
  readonly currentTensorBytes: number;
  readonly currentTensorStart: number;
  readonly shards: readonly { readonly file: string; readonly bytes: number; readonly status: ShardStatus }[];
  readonly finalizing: boolean;
  /** The engine began writing (a run refused up front never starts). */
  readonly started: boolean;
  /** Each output tensor's bytes, from the plan. */
  readonly tensorBytes: ReadonlyMap<string, number>;
  /** Why a resume started over instead (an input, the recipe, an option or the tool changed); empty otherwise. */
  readonly restartReasons: readonly string[];
}

/** 0…1 of the current tensor written, as far as the last progress event tells. */
export function currentTensorFraction(p: RunProgress): number {
  if (p.currentTensor === undefined || p.currentTensorBytes === 0) return 0;
  return Math.min(1, Math.max(0, (p.bytesDone - p.currentTensorStart) / p.currentTensorBytes));
}

export function initialProgress(plan: PlanOverview | undefined): RunProgress {
  return {
    tensorBytes: new Map((plan?.tensors ?? []).map((t) => [t.name, t.bytes])),
    currentTensorBytes: 0,
    currentTensorStart: 0,
    tensorsDone: 0,
    tensorCount: plan?.tensorCount ?? 0,
    bytesDone: 0,
    bytesTotal: 0,
    bytesPerSecond: 0,
    etaSeconds: undefined,
    currentTensor: undefined,
    shards: (plan?.shards ?? []).map((s) => ({ file: s.file, bytes: s.bytes, status: 'waiting' })),
    finalizing: false,
    started: false,
    restartReasons: [],
  };
}

export function applyEvents(progress: RunProgress, events: readonly EngineEvent[]): RunProgress {
  let next = progress;
  for (const event of events) next = applyEvent(next, event);
  return next;
}

function applyEvent(p: RunProgress, event: EngineEvent): RunProgress {
  switch (event.type) {
    case 'start': {
      const kept = new Set(event.resumedShards);
      return { ...p, started: true, restartReasons: event.restartReasons, tensorCount: event.tensorCount, bytesTotal: event.bytesTotal, shards: p.shards.map((s) => (kept.has(s.file) ? { ...s, status: 'kept' } : s)) };
    }
    case 'tensor':
      return {
        ...p,
        currentTensor: event.name,
        // Tensors are written one after another, so this one starts where the previous one ended.
        currentTensorStart: p.currentTensor === undefined ? p.currentTensorStart : p.currentTensorStart + p.currentTensorBytes,
        currentTensorBytes: p.tensorBytes.get(event.name) ?? 0,
        tensorsDone: Math.max(p.tensorsDone, event.index),
        shards: p.shards.map((s) => (s.file === event.shard && s.status === 'waiting' ? { ...s, status: 'writing' } : s)),
      };
    case 'progress':
      return { ...p, tensorsDone: event.tensorsDone, tensorCount: event.tensorCount, bytesDone: event.bytesDone, bytesTotal: event.bytesTotal, bytesPerSecond: event.bytesPerSecond, etaSeconds: event.etaSeconds };
    case 'shard-written':
      return { ...p, shards: p.shards.map((s) => (s.file === event.file ? { ...s, status: 'written' } : s)) };
    case 'finalizing':
      return { ...p, finalizing: true, currentTensor: undefined, tensorsDone: p.tensorCount, bytesDone: p.bytesTotal, etaSeconds: 0 };
    case 'done':
      return { ...p, finalizing: false };
  }
}
