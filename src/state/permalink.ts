/**
 * Permalinks: the recipe's YAML, and nothing else (never the Hub token), as base64url UTF-8 in the URL hash
 * (`#recipe=…`), so a link opens the same recipe without a server.
 */
const KEY = 'recipe';

export function encodePermalink(yaml: string): string {
  const bytes = new TextEncoder().encode(yaml);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `#${KEY}=${btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** The YAML in a hash made by {@link encodePermalink}; undefined when the hash holds no (readable) recipe. */
export function decodePermalink(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const encoded = params.get(KEY);
  if (encoded === null || encoded === '') return undefined;
  try {
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
