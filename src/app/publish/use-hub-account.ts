import { useEffect, useState } from 'react';

import { hubIdentity } from '../../io/hub-publish/publish';
import type { HubIdentity } from '../../io/hub-publish/publish';
import { hubSettings } from '../../io/source/hub-client';
import { toAppError } from '../../shared/errors';
import { useAppStore, useAppStoreApi } from '../../state/hooks';
import { finishHubSignIn } from './hub-sign-in';

let finishing: Promise<unknown> | undefined;

/** At start: when the page is the end of a sign-in, takes the token into the store (in memory only). */
export function useHubSignInRedirect(): string | undefined {
  const store = useAppStoreApi();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    finishing ??= finishHubSignIn(store.getState().hubEndpoint).then(
      (signedIn) => {
        if (signedIn !== undefined) store.getState().setHubToken(signedIn.token, false);
      },
      (e: unknown) => setError(`Signing in with Hugging Face failed: ${toAppError(e).message}`),
    );
  }, [store]);
  return error;
}

export type IdentityState =
  | { readonly kind: 'none' }
  | { readonly kind: 'checking' }
  | { readonly kind: 'ok'; readonly identity: HubIdentity }
  | { readonly kind: 'refused'; readonly message: string; readonly hint: string | undefined };

/** Who the current token belongs to, asked of the Hub whenever the token or endpoint changes. */
export function useHubIdentity(): IdentityState {
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  const [state, setState] = useState<{ key: string; value: IdentityState }>({ key: '', value: { kind: 'none' } });
  const key = `${endpoint}\n${token}`;
  useEffect(() => {
    if (token === '') return;
    let live = true;
    const timer = setTimeout(() => {
      hubIdentity(hubSettings({ endpoint, token })).then(
        (identity) => live && setState({ key, value: { kind: 'ok', identity } }),
        (e: unknown) => {
          const error = toAppError(e);
          if (live) setState({ key, value: { kind: 'refused', message: error.message, hint: error.hint } });
        },
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [endpoint, token, key]);
  if (token === '') return { kind: 'none' };
  return state.key === key ? state.value : { kind: 'checking' };
}
