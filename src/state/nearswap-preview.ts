/**
 * NearSwap's preview in the inspector: the sampled tensor pairs of (base, other), read once per model pair and
 * cached, and a hook that says "measuring" while they are read.
 */
import { useEffect, useState } from 'react';

import { samplePairs } from '../io/model/sample-tensors';
import type { Model } from '../io/model/types';

type Pairs = [Float32Array, Float32Array][];
const cache = new Map<string, Promise<Pairs>>();

function pairKey(base: Model, other: Model): string {
  return `${base.ref}@${base.revision ?? ''}\n${other.ref}@${other.revision ?? ''}`;
}

/** The samples of a model pair, read once (a failed read is forgotten so it can be retried). */
export function pairSamples(base: Model, other: Model): Promise<Pairs> {
  const key = pairKey(base, other);
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = samplePairs(base, other);
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
  }
  return entry;
}

export type SampleState = { readonly status: 'idle' } | { readonly status: 'measuring' } | { readonly status: 'ready'; readonly pairs: Pairs } | { readonly status: 'error'; readonly message: string };

type Result = { readonly key: string; readonly state: SampleState };

export function useSamplePairs(base: Model | undefined, other: Model | undefined): SampleState {
  const [result, setResult] = useState<Result | undefined>(undefined);
  const key = base === undefined || other === undefined ? undefined : pairKey(base, other);
  useEffect(() => {
    if (base === undefined || other === undefined || key === undefined) return;
    let live = true;
    pairSamples(base, other).then(
      (pairs) => live && setResult({ key, state: { status: 'ready', pairs } }),
      (error: unknown) => live && setResult({ key, state: { status: 'error', message: error instanceof Error ? error.message : String(error) } }),
    );
    return () => {
      live = false;
    };
  }, [base, other, key]);
  if (key === undefined) return { status: 'idle' };
  return result?.key === key ? result.state : { status: 'measuring' };
}
