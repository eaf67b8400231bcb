/**
 * A local server that speaks the Hugging Face Hub's HTTP protocol (the subset Merge Studio and @huggingface/hub use),
 * for tests: model search and info, file trees, `raw` and `resolve` with single-range reads, ETags, CORS, the Hub's
 * error codes, private and gated repos, and injectable failures (dropped connections, error statuses, slowness,
 * redirects to a second "CDN" origin). Loopback only.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

import { numel } from '../../src/io/safetensors/dtype';
import { parseHeader } from '../../src/io/safetensors/header';

export interface MockRepo {
  /** `owner/name`. */
  readonly id: string;
  /** Repo-relative path → bytes, or a directory on disk whose files (read once, at start) make up the repo. */
  readonly files: ReadonlyMap<string, Uint8Array> | string;
  /** The commit sha `main` resolves to (40 hex digits); default: a hash of the id and the files. */
  readonly sha?: string;
  /** More branches and tags, all at the same commit as `main` (listed by `/api/models/{id}/refs`). */
  readonly refs?: { readonly branches?: readonly string[]; readonly tags?: readonly string[] };
  readonly gated?: boolean;
  readonly private?: boolean;
  readonly downloads?: number;
  readonly likes?: number;
}

export interface MockFailure {
  /** Applies to requests whose path contains this text. */
  readonly pathIncludes: string;
  /** How many matching requests it affects. */
  readonly times: number;
  /** Send the status line, headers and this many body bytes, then destroy the connection. */
  readonly dropAfterBytes?: number;
  /** Answer with this status instead. */
  readonly status?: number;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Slow transfer: send the body in pieces of `chunkBytes` (default 16 KiB), waiting this long before each. */
  readonly chunkDelayMs?: number;
  readonly chunkBytes?: number;
}

export interface LoggedRequest {
  readonly server: 'hub' | 'cdn';
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  /** Whether the request carried an `Authorization` header (its value is never logged). */
  readonly hasAuthorization: boolean;
  /** The answer's status; -1 when the connection closed before the answer was complete. */
  readonly status: number;
}

export interface MockHubOptions {
  readonly repos: readonly MockRepo[];
  readonly port?: number;
  /** Bearer tokens that unlock private and gated repos. */
  readonly tokens?: readonly string[];
  /** Redirect `resolve` of `.safetensors` files to a second server (another origin), as the real Hub does. */
  readonly cdn?: boolean;
  /** Models per page of `/api/models` (the Hub pages with an absolute `Link: <…>; rel="next"`). */
  readonly pageSize?: number;
}

export interface MockHub {
  readonly url: string;
  readonly cdnUrl: string | undefined;
  readonly requests: LoggedRequest[];
  fail(failure: MockFailure): void;
  /** Forgets injected failures and the request log. */
  reset(): void;
  addRepo(repo: MockRepo): Promise<void>;
  close(): Promise<void>;
}

export const MOCK_TOKEN = 'hf_mock_token_0123456789';

interface RepoState {
  readonly repo: MockRepo;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly sha: string;
  readonly lastModified: string;
}

const EXPOSED_HEADERS =
  'ETag, Content-Range, Accept-Ranges, Content-Length, Link, X-Repo-Commit, X-Linked-Size, X-Linked-ETag, X-Error-Code, X-Error-Message, X-Request-Id';

export async function startMockHub(options: MockHubOptions): Promise<MockHub> {
  const repos = new Map<string, RepoState>();
  const requests: LoggedRequest[] = [];
  const failures: { failure: MockFailure; left: number }[] = [];
  const tokens = new Set(options.tokens ?? [MOCK_TOKEN]);
  const addRepo = async (repo: MockRepo) => {
    const files = typeof repo.files === 'string' ? await readTree(repo.files) : repo.files;
    if (repo.sha !== undefined && !/^[0-9a-f]{40}$/.test(repo.sha)) throw new Error(`Mock repo ${repo.id}: sha must be 40 hex digits.`);
    repos.set(repo.id, { repo, files, sha: repo.sha ?? commitSha(repo.id, files), lastModified: '2026-11-01T12:00:00.000Z' });
  };
  for (const repo of options.repos) await addRepo(repo);

  let hubUrl = '';
  let cdnUrl: string | undefined;

  const context = { repos, requests, failures, tokens, pageSize: options.pageSize ?? 50 } as const;
  const hub = createServer((req, res) => {
    void handle('hub', req, res, context, () => ({ hubUrl, cdnUrl })).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });
  hubUrl = await listen(hub, options.port ?? 0);
  let cdn: Server | undefined;
  if (options.cdn === true) {
    cdn = createServer((req, res) => {
      void handle('cdn', req, res, context, () => ({ hubUrl, cdnUrl })).catch(() => res.destroy());
    });
    cdnUrl = await listen(cdn, 0);
  }
  return {
    url: hubUrl,
    cdnUrl,
    requests,
    fail: (failure) => failures.push({ failure, left: failure.times }),
    reset: () => {
      failures.length = 0;
      requests.length = 0;
    },
    addRepo,
    close: async () => {
      await Promise.all([closeServer(hub), cdn === undefined ? undefined : closeServer(cdn)]);
    },
  };
}

type Context = {
  readonly repos: Map<string, RepoState>;
  readonly requests: LoggedRequest[];
  readonly failures: { failure: MockFailure; left: number }[];
  readonly tokens: ReadonlySet<string>;
  readonly pageSize: number;
};

async function handle(
  server: 'hub' | 'cdn',
  req: IncomingMessage,
  res: ServerResponse,
  ctx: Context,
  urls: () => { hubUrl: string; cdnUrl: string | undefined },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  const authorization = req.headers.authorization;
  const authorized = authorization !== undefined && ctx.tokens.has(authorization.replace(/^Bearer /, ''));
  cors(req, res);
  const log = (status: number) =>
    ctx.requests.push({ server, method: req.method ?? '', path, range: req.headers.range, hasAuthorization: authorization !== undefined, status });
  res.on('finish', () => log(res.statusCode));
  res.on('close', () => {
    if (!res.writableFinished) log(-1);
  });
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  const failure = takeFailure(ctx, path);
  if (failure?.delayMs !== undefined) await new Promise((r) => setTimeout(r, failure.delayMs));
  if (failure?.status !== undefined) {
    send(res, failure.status, { error: `injected ${failure.status}` });
    return;
  }

  if (server === 'cdn') {
    const match = /^\/cdn\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(path);
    const state = match ? ctx.repos.get(match[1] as string) : undefined;
    const bytes = state?.files.get(match?.[3] as string);
    if (!state || bytes === undefined) return hubError(res, 404, 'EntryNotFound', 'Entry not found');
    return serveFile(req, res, bytes, match?.[3] as string, state, failure);
  }

  if (path === '/api/models') return listModels(res, url, ctx, urls().hubUrl);
  if (path === '/api/whoami-v2') {
    return authorized ? send(res, 200, { type: 'user', name: 'mock-user', auth: { type: 'access_token' } }) : hubError(res, 401, undefined, 'Invalid credentials');
  }
  let m = /^\/api\/models\/([^/]+\/[^/]+)\/refs$/.exec(path);
  if (m) {
    const state = repoFor(res, ctx, m[1] as string, authorized, false);
    if (!state) return;
    const at = (kind: 'heads' | 'tags') => (name: string) => ({ name, ref: `refs/${kind}/${name}`, targetCommit: state.sha });
    return send(res, 200, {
      branches: ['main', ...(state.repo.refs?.branches ?? [])].map(at('heads')),
      converts: [],
      tags: (state.repo.refs?.tags ?? []).map(at('tags')),
    });
  }
  m = /^\/api\/models\/([^/]+\/[^/]+?)(?:\/revision\/([^/]+))?$/.exec(path);
  if (m) {
    const state = repoFor(res, ctx, m[1] as string, authorized, false);
    if (!state || !revisionOk(res, state, m[2] ?? 'main')) return;
    return send(res, 200, modelInfo(state, url.searchParams.getAll('expand').concat(url.searchParams.getAll('expand[]'))));
  }
  m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (m) {
    const state = repoFor(res, ctx, m[1] as string, authorized, false);
    if (!state || !revisionOk(res, state, m[2] as string)) return;
    const entries = tree(state, m[3] ?? '', url.searchParams.get('recursive') === 'true');
    if (entries.length === 0 && (m[3] ?? '') !== '') return hubError(res, 404, 'EntryNotFound', `${m[3]} does not exist on "${m[2]}"`);
    return send(res, 200, entries);
  }
  m = /^\/([^/]+\/[^/]+)\/(raw|resolve)\/([^/]+)\/(.+)$/.exec(path);
  if (m && (req.method === 'GET' || req.method === 'HEAD')) {
    const state = repoFor(res, ctx, m[1] as string, authorized, true);
    if (!state || !revisionOk(res, state, m[3] as string)) return;
    const file = m[4] as string;
    const bytes = state.files.get(file);
    if (bytes === undefined) return hubError(res, 404, 'EntryNotFound', `${file} does not exist on "${m[3]}"`);
    const { cdnUrl } = urls();
    if (m[2] === 'resolve' && cdnUrl !== undefined && file.endsWith('.safetensors')) {
      res.writeHead(302, {
        Location: `${cdnUrl}/cdn/${state.repo.id}/${state.sha}/${file}`,
        'X-Repo-Commit': state.sha,
        'X-Linked-Size': String(bytes.byteLength),
        'X-Linked-ETag': etag(file, bytes),
      });
      res.end();
      return;
    }
    return serveFile(req, res, bytes, file, state, failure);
  }
  hubError(res, 404, undefined, `No route for ${req.method} ${path}`);
}

function takeFailure(ctx: Context, path: string): MockFailure | undefined {
  const entry = ctx.failures.find((f) => f.left > 0 && path.includes(f.failure.pathIncludes));
  if (entry === undefined) return undefined;
  entry.left -= 1;
  return entry.failure;
}

function repoFor(res: ServerResponse, ctx: Context, id: string, authorized: boolean, files: boolean): RepoState | undefined {
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

function revisionOk(res: ServerResponse, state: RepoState, revision: string): boolean {
  const named = [...(state.repo.refs?.branches ?? []), ...(state.repo.refs?.tags ?? [])];
  if (revision === 'main' || revision === 'HEAD' || revision === state.sha || named.includes(revision)) return true;
  hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  return false;
}

function serveFile(
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

/** Every file under `root` (recursively) by its `/`-separated relative path. */
async function readTree(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split(sep).join('/'), new Uint8Array(await readFile(path)));
  }
  return files;
}

/** A stable stand-in for a git commit: the same files give the same sha. */
function commitSha(id: string, files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash('sha1').update(id);
  for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(path).update(bytes);
  return hash.digest('hex');
}

function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : undefined;
}

function etag(file: string, bytes: Uint8Array): string {
  const algorithm = file.endsWith('.safetensors') ? 'sha256' : 'sha1';
  return `"${createHash(algorithm).update(bytes).digest('hex')}"`;
}

function listModels(res: ServerResponse, url: URL, ctx: Context, hubUrl: string): void {
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

function modelInfo(state: RepoState, expand: readonly string[]): Record<string, unknown> {
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

function tree(state: RepoState, dir: string, recursive: boolean): unknown[] {
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
    const lfs = path.endsWith('.safetensors')
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

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  // Readable by cross-origin-isolated pages (the studio sends COEP for llama.cpp's threads), as the real Hub allows.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, OPTIONS');
  const requested = req.headers['access-control-request-headers'];
  if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
  res.setHeader('Access-Control-Max-Age', '600');
}

function hubError(res: ServerResponse, status: number, code: string | undefined, message: string): void {
  if (code !== undefined) res.setHeader('X-Error-Code', code);
  res.setHeader('X-Error-Message', message);
  send(res, status, { error: message });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
