/**
 * The mock Hub's OAuth 2 provider (authorization code with PKCE, public client), enough for `@huggingface/hub`'s
 * `oauthLoginUrl` / `oauthHandleRedirectIfPresent`: the OpenID configuration, an authorize page that approves at once
 * and redirects back with `code` and the caller's `state`, the token exchange that checks the code verifier, and
 * userinfo. Issued tokens start with `hf_oauth_` and unlock the same things as the mock's access tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { hubError, readBody, send } from './http';
import type { Context, Urls } from './types';
import { MOCK_USER } from './write-routes';

interface PendingCode {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly scope: string;
}

const codes = new WeakMap<Context, Map<string, PendingCode>>();

/** Handles `/.well-known/openid-configuration` and `/oauth/*`; returns false for other paths. */
export async function oauthRoute(req: IncomingMessage, res: ServerResponse, path: string, url: URL, ctx: Context, urls: Urls): Promise<boolean> {
  const pending = codes.get(ctx) ?? new Map<string, PendingCode>();
  codes.set(ctx, pending);
  if (path === '/.well-known/openid-configuration') {
    send(res, 200, {
      issuer: urls.hubUrl,
      authorization_endpoint: `${urls.hubUrl}/oauth/authorize`,
      token_endpoint: `${urls.hubUrl}/oauth/token`,
      userinfo_endpoint: `${urls.hubUrl}/oauth/userinfo`,
      code_challenge_methods_supported: ['S256'],
    });
    return true;
  }
  if (path === '/oauth/authorize' && req.method === 'GET') {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    const challenge = q.get('code_challenge');
    if (q.get('response_type') !== 'code' || redirectUri === null || challenge === null || q.get('code_challenge_method') !== 'S256' || !q.get('client_id')) {
      hubError(res, 400, undefined, 'Invalid authorization request');
      return true;
    }
    const code = randomBytes(16).toString('hex');
    pending.set(code, { challenge, redirectUri, scope: q.get('scope') ?? 'openid profile' });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    res.writeHead(302, { Location: back.toString() }).end();
    return true;
  }
  if (path === '/oauth/token' && req.method === 'POST') {
    const form = new URLSearchParams(new TextDecoder().decode(await readBody(req)));
    const code = form.get('code') ?? '';
    const entry = pending.get(code);
    pending.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (form.get('grant_type') !== 'authorization_code' || entry === undefined || entry.challenge !== challenge || entry.redirectUri !== form.get('redirect_uri')) {
      send(res, 400, { error: 'invalid_grant', error_description: 'The code, its verifier or the redirect URI does not match' });
      return true;
    }
    const token = `hf_oauth_${randomBytes(12).toString('hex')}`;
    ctx.tokens.add(token);
    send(res, 200, { access_token: token, token_type: 'bearer', expires_in: 28800, scope: entry.scope, id_token: 'mock.id.token' });
    return true;
  }
  if (path === '/oauth/userinfo') {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!ctx.tokens.has(token) || ctx.expired.has(token)) {
      hubError(res, 401, undefined, 'Invalid credentials');
      return true;
    }
    send(res, 200, { sub: '6500000000000000000000aa', name: 'Mock User', preferred_username: MOCK_USER, picture: '', profile: `${urls.hubUrl}/${MOCK_USER}`, isPro: false, orgs: [] });
    return true;
  }
  return false;
}
