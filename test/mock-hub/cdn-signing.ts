/** CDN URLs are signed and expire, as the real Hub's are: the CDN answers 403 for a bad or expired signature. */
import { createHash } from 'node:crypto';

export interface Signing {
  readonly secret: string;
  readonly ttlSeconds: number;
  readonly now: () => number;
}

export function newSigning(ttlSeconds: number | undefined, now: (() => number) | undefined): Signing {
  return { secret: createHash('sha256').update(String(Math.random())).digest('hex'), ttlSeconds: ttlSeconds ?? 3600, now: now ?? Date.now };
}

function signature(signing: Signing, path: string, expires: string): string {
  return createHash('sha256').update(`${signing.secret}\u0000${path}\u0000${expires}`).digest('hex').slice(0, 32);
}

/** `Expires=…&Signature=…` for a CDN path, valid for the signing's lifetime from now. */
export function signedQuery(signing: Signing, path: string): string {
  const expires = String(Math.floor(signing.now() / 1000) + signing.ttlSeconds);
  return `Expires=${expires}&Signature=${signature(signing, path, expires)}`;
}

export function signatureValid(signing: Signing, path: string, url: URL): boolean {
  const expires = url.searchParams.get('Expires') ?? '';
  return url.searchParams.get('Signature') === signature(signing, path, expires) && Number(expires) * 1000 > signing.now();
}
