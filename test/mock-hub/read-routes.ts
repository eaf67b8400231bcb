/**
 * The mock Hub's read side: repo access checks, model search and info, file trees, and file bytes with single-range
 * reads (also behind the second, "CDN" origin).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { numel } from '../../src/io/safetensors/dtype';
import { parseHeader } from '../../src/io/safetensors/header';
import { etag, hubError, parseRange, send, sha1 } from './http';
import type { Context, MockFailure, RepoState } from './types';

export function repoFor(res: ServerResponse, ctx: Context, id: string, authorized: boolean, files: boolean): RepoState | undefined {
  const state = ctx.repos.get(id);
  // Without a valid token the Hub answers 401 for a missing repo and a private one alike, so that private names do
  // not leak; with one, a missing repo is a 404.
  if (state === undefined && authorized) {
    hubError(res, 404, 'RepoNotFound', 'Repository not found');
    return undefined;
  }
  if (state === undefined || (state.repo.private === true && !authorized)) {
    hubError(res, 401, 'RepoNotFound', 'Repository not found');
    return undefined;
  }
  if (files && state.repo.gated === true && !authorized) {
    hubError(res, 403, 'GatedRepo', `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    return undefined;
  }
  return state;
}

export function revisionOk(res: ServerResponse, state: RepoState, revision: string): boolean {
  const named = [...(state.repo.refs?.branches ?? []), ...(state.repo.refs?.tags ?? [])];
  if (revision === 'main' || revision === 'HEAD' || revision === state.sha || named.includes(revision)) return true;
  hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  return false;
}

export function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: Uint8Array,
  file: string,
  state: RepoState,
  failure: MockFailure | undefined,
): void {
  const headers: Record<string, string> = {
    'Accept-Ranges': 'bytes',
    ETag: etag(file, bytes),
    'X-Repo-Commit': state.sha,
    'Content-Type': 'application/octet-stream',
  };
  if (file.endsWith('.safetensors')) {
    headers['X-Linked-Size'] = String(bytes.byteLength);
    headers['X-Linked-ETag'] = etag(file, bytes);
  }
  let body = bytes;
  let status = 200;
  const range = req.headers.range;
  if (range !== undefined) {
    const parsed = parseRange(range, bytes.byteLength);
    if (parsed === undefined) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${bytes.byteLength}` }).end();
      return;
    }
    body = bytes.subarray(parsed.start, parsed.end + 1);
    status = 206;
    headers['Content-Range'] = `bytes ${parsed.start}-${parsed.end}/${bytes.byteLength}`;
  }
  headers['Content-Length'] = String(body.byteLength);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (failure?.dropAfterBytes !== undefined) {
    res.write(body.subarray(0, failure.dropAfterBytes), () => setTimeout(() => res.destroy(), 10));
    return;
  }
  if (failure?.chunkDelayMs !== undefined) {
    void sendSlowly(res, body, failure.chunkDelayMs, failure.chunkBytes ?? 16 * 1024);
    return;
  }
  res.end(body);
}

/** Writes `body` a piece at a time with a pause before each; stops quietly when the client goes away. */
async function sendSlowly(res: ServerResponse, body: Uint8Array, delayMs: number, chunkBytes: number): Promise<void> {
  for (let at = 0; at < body.byteLength; at += chunkBytes) {
    await new Promise((r) => setTimeout(r, delayMs));
    if (res.destroyed) return;
    res.write(body.subarray(at, at + chunkBytes));
  }
  res.end();
}

export function listModels(res: ServerResponse, url: URL, ctx: Context, hubUrl: string): void {
  const search = (url.searchParams.get('search') ?? '').toLowerCase();
  const author = url.searchParams.get('author');
  const limit = Math.min(Number(url.searchParams.get('limit') ?? ctx.pageSize), ctx.pageSize);
  const cursor = Number(url.searchParams.get('cursor') ?? 0);
  const sort = url.searchParams.get('sort');
  let states = [...ctx.repos.values()].filter(
    (s) => s.repo.private !== true && s.repo.id.toLowerCase().includes(search) && (author === null || s.repo.id.startsWith(`${author}/`)),
  );
  if (sort === 'downloads' || sort === 'likes') states = states.sort((a, b) => (b.repo[sort] ?? 0) - (a.repo[sort] ?? 0));
  const page = states.slice(cursor, cursor + limit);
  if (cursor + limit < states.length) {
    const next = new URL(url.pathname + url.search, hubUrl);
    next.searchParams.set('cursor', String(cursor + limit));
    res.setHeader('Link', `<${next.toString()}>; rel="next"`);
  }
  const expand = url.searchParams.getAll('expand').concat(url.searchParams.getAll('expand[]'));
  send(res, 200, page.map((s) => modelInfo(s, expand)));
}

export function modelInfo(state: RepoState, expand: readonly string[]): Record<string, unknown> {
  const { repo, files } = state;
  const config = parseJson(files.get('config.json'));
  const full: Record<string, unknown> = {
    _id: state.sha.slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    author: repo.id.split('/')[0],
    sha: state.sha,
    lastModified: state.lastModified,
    createdAt: '2026-10-01T12:00:00.000Z',
    private: repo.private === true,
    gated: repo.gated === true ? 'manual' : false,
    disabled: false,
    downloads: repo.downloads ?? 0,
    likes: repo.likes ?? 0,
    library_name: 'transformers',
    pipeline_tag: 'text-generation',
    tags: ['transformers', 'safetensors', ...(typeof config?.['model_type'] === 'string' ? [config['model_type']] : [])],
    config: config === undefined ? undefined : { architectures: config['architectures'], model_type: config['model_type'] },
    siblings: [...files.keys()].sort().map((rfilename) => ({ rfilename })),
    safetensors: safetensorsSummary(files),
    usedStorage: [...files.values()].reduce((sum, b) => sum + b.byteLength, 0),
  };
  if (expand.length === 0) return full;
  return Object.fromEntries(Object.entries(full).filter(([key]) => key === '_id' || key === 'id' || expand.includes(key)));
}

export function tree(state: RepoState, dir: string, recursive: boolean): unknown[] {
  const prefix = dir === '' ? '' : `${dir.replace(/\/$/, '')}/`;
  const entries = new Map<string, unknown>();
  for (const [path, bytes] of state.files) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash >= 0 && !recursive) {
      const sub = prefix + rest.slice(0, slash);
      entries.set(sub, { type: 'directory', oid: sha1(sub), size: 0, path: sub });
      continue;
    }
    const lfs = path.endsWith('.safetensors') || state.lfsPaths?.has(path) === true
      ? { lfs: { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, pointerSize: 134 } }
      : {};
    entries.set(path, { type: 'file', oid: sha1(path + bytes.byteLength), size: bytes.byteLength, path, ...lfs });
  }
  return [...entries.values()];
}

/** Parameter counts per dtype, as the Hub computes them from safetensors headers. */
function safetensorsSummary(files: ReadonlyMap<string, Uint8Array>): { parameters: Record<string, number>; total: number } | undefined {
  const parameters: Record<string, number> = {};
  let total = 0;
  let any = false;
  for (const [path, bytes] of files) {
    if (!path.endsWith('.safetensors') || bytes.byteLength < 8) continue;
    any = true;
    const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const header = parseHeader(bytes.subarray(8, 8 + length), bytes.byteLength, path);
    for (const t of header.tensors) {
      parameters[t.dtype] = (parameters[t.dtype] ?? 0) + numel(t.shape);
      total += numel(t.shape);
    }
  }
  return any ? { parameters, total } : undefined;
}

function parseJson(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
