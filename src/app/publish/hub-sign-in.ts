/**
 * "Sign in with Hugging Face": OAuth 2 with PKCE through `@huggingface/hub` against the Hub endpoint from the
 * settings. The sign-in is a full-page redirect (a popup would be cut off by the page's cross-origin isolation); on the
 * way back the code is exchanged for a token, and `code`/`state` are taken out of the address bar at once. The token
 * is handed to the view slice, which keeps it in memory unless the user asks to remember it.
 */
import { oauthHandleRedirectIfPresent, oauthLoginUrl } from '@huggingface/hub';

/** Creating repos and writing to them. */
export const PUBLISH_SCOPES = 'openid profile manage-repos';

/** The public OAuth app's client id (no secret): set `VITE_HF_OAUTH_CLIENT_ID` at build time for a deployment. */
export function oauthClientId(): string {
  const configured: unknown = import.meta.env['VITE_HF_OAUTH_CLIENT_ID'];
  return typeof configured === 'string' && configured !== '' ? configured : 'merge-studio';
}

/** The page address to come back to: the current one without a previous sign-in's answer (`code`, `state`, `error`). */
export function returnAddress(href: string): string {
  const url = new URL(href);
  for (const key of ['code', 'state', 'error', 'error_description']) url.searchParams.delete(key);
  url.hash = '';
  return url.toString();
}

/** Sends the page to the Hub's consent screen. */
export async function startHubSignIn(endpoint: string): Promise<void> {
  const url = await oauthLoginUrl({ hubUrl: endpoint, clientId: oauthClientId(), scopes: PUBLISH_SCOPES, redirectUrl: returnAddress(window.location.href) });
  window.location.assign(url);
}

export interface SignedIn {
  readonly token: string;
  readonly name: string;
  readonly expiresAt: Date;
}

/** When the page is the end of a sign-in, the token and who it is for; undefined otherwise. Throws when it was refused. */
export async function finishHubSignIn(endpoint: string): Promise<SignedIn | undefined> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !(params.has('error') && params.has('state'))) return undefined;
  try {
    const result = await oauthHandleRedirectIfPresent({ hubUrl: endpoint });
    if (result === false) return undefined;
    return { token: result.accessToken, name: result.userInfo.preferred_username, expiresAt: result.accessTokenExpiresAt };
  } finally {
    window.history.replaceState(window.history.state, '', returnAddress(window.location.href));
  }
}
