/**
 * The engine's typed events: what a run reports to the UI (through the worker) and the CLI. Plain data only, so they
 * cross `postMessage` unchanged.
 */
export type EngineEvent =
  | { readonly type: 'start'; readonly tensorCount: number; readonly bytesTotal: number; readonly resumedShards: readonly string[] }
  | { readonly type: 'tensor'; readonly name: string; readonly index: number; readonly shard: string }
  | {
      readonly type: 'progress';
      readonly tensorsDone: number;
      readonly tensorCount: number;
      /** Output tensor bytes written so far (the unit of the ETA). */
      readonly bytesDone: number;
      readonly bytesTotal: number;
      readonly bytesPerSecond: number;
      readonly etaSeconds: number | undefined;
    }
  | { readonly type: 'shard-written'; readonly file: string }
  | { readonly type: 'finalizing' }
  | { readonly type: 'done'; readonly files: readonly string[]; readonly seconds: number };

export type EngineEventListener = (event: EngineEvent) => void;
