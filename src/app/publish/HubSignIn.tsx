import { useState } from 'react';

import { useAppStore } from '../../state/hooks';
import { startHubSignIn } from './hub-sign-in';
import type { IdentityState } from './use-hub-account';

/**
 * Hub account for publishing: "Sign in with Hugging Face" (OAuth against the endpoint in the settings), or an access
 * token pasted as the fallback. Shows who the token belongs to, or why the Hub refused it.
 */
export function HubSignIn({ identity }: { readonly identity: IdentityState }) {
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  const persist = useAppStore((s) => s.persistToken);
  const setHubToken = useAppStore((s) => s.setHubToken);
  const [error, setError] = useState<string | undefined>(undefined);
  const [pasting, setPasting] = useState(false);
  const signIn = () => {
    setError(undefined);
    startHubSignIn(endpoint).catch((e: unknown) => setError(`Cannot start signing in at ${endpoint}: ${e instanceof Error ? e.message : String(e)}`));
  };
  if (identity.kind === 'ok') {
    return (
      <div className="hub-account" data-testid="hub-account">
        <span>
          Signed in to {new URL(endpoint).host} as <strong>{identity.identity.name}</strong>
        </span>
        <button type="button" className="button" onClick={() => setHubToken('', false)}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <div className="hub-account" data-testid="hub-account">
      <button type="button" className="button primary" onClick={signIn}>
        Sign in with Hugging Face
      </button>
      <button type="button" className="button link" aria-expanded={pasting || token !== ''} onClick={() => setPasting(!pasting)}>
        or use an access token
      </button>
      {pasting || token !== '' ? (
        <div className="hub-token">
          <label className="field">
            <span>Access token (write)</span>
            <input type="password" autoComplete="off" value={token} placeholder="hf_…" onChange={(e) => setHubToken(e.target.value.trim(), persist)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={persist} onChange={(e) => setHubToken(token, e.target.checked)} />
            Remember it on this device
          </label>
        </div>
      ) : null}
      {identity.kind === 'checking' ? <p className="muted small-text">Checking the token…</p> : null}
      {identity.kind === 'refused' ? (
        <p className="field-error" role="alert">
          {identity.message} {identity.hint}
        </p>
      ) : null}
      {error === undefined ? null : (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <p className="muted small-text">Signing in leaves this page for the Hub and comes back: your recipe is kept, this run's result view is not (sign in before merging, or use a token here). The token is sent only to {endpoint}.</p>
    </div>
  );
}
