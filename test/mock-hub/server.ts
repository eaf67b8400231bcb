/**
 * A local server that speaks the Hugging Face Hub's HTTP protocol (the subset Merge Studio and @huggingface/hub use),
 * for tests: model search and info, file trees, `raw` and `resolve` with single-range reads, ETags, CORS, the Hub's
 * error codes, private and gated repos, and injectable failures (dropped connections, error statuses, slowness,
 * redirects to a second "CDN" origin). The write side (`write-routes.ts`, `lfs.ts`, `oauth.ts`) creates repos and
 * takes commits with LFS uploads, so `@huggingface/hub`'s real upload code runs against it. Loopback only.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { closeServer, commitSha, cors, dropRequest, etag, hubError, listen, readTree, send } from './http';
import { lfsBatch, lfsStorage } from './lfs';
import { oauthRoute } from './oauth';
import { listModels, modelInfo, repoFor, revisionOk, serveFile, tree } from './read-routes';
import { MOCK_TOKEN } from './types';
import type { Context, MockFailure, MockHub, MockHubOptions, MockRepo, Urls } from './types';
import { commit, createRepo, preupload, whoAmI } from './write-routes';

export type { LoggedRequest, MockFailure, MockHub, MockHubOptions, MockRepo } from './types';
export { MOCK_TOKEN };

export async function startMockHub(options: MockHubOptions): Promise<MockHub> {
  const context: Context = {
    repos: new Map(),
    requests: [],
    failures: [],
    tokens: new Set(options.tokens ?? [MOCK_TOKEN]),
    expired: new Set(),
    pageSize: options.pageSize ?? 50,
    lfs: { objects: new Map(), multipart: new Map(), chunkBytes: options.multipartChunkBytes ?? 5 * 1024 * 1024 },
    bodies: [],
  };
  const addRepo = async (repo: MockRepo) => {
    const files = typeof repo.files === 'string' ? await readTree(repo.files) : repo.files;
    if (repo.sha !== undefined && !/^[0-9a-f]{40}$/.test(repo.sha)) throw new Error(`Mock repo ${repo.id}: sha must be 40 hex digits.`);
    context.repos.set(repo.id, { repo, files, sha: repo.sha ?? commitSha(repo.id, files), lastModified: '2026-11-01T12:00:00.000Z' });
  };
  for (const repo of options.repos) await addRepo(repo);

  const urls: { hubUrl: string; cdnUrl: string | undefined } = { hubUrl: '', cdnUrl: undefined };
  const hub = createServer((req, res) => {
    void handle('hub', req, res, context, urls).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });
  urls.hubUrl = await listen(hub, options.port ?? 0);
  let cdn: Server | undefined;
  if (options.cdn === true) {
    cdn = createServer((req, res) => {
      void handle('cdn', req, res, context, urls).catch(() => res.destroy());
    });
    urls.cdnUrl = await listen(cdn, 0);
  }
  return {
    url: urls.hubUrl,
    cdnUrl: urls.cdnUrl,
    requests: context.requests,
    bodies: context.bodies,
    fail: (failure) => context.failures.push({ failure, left: failure.times }),
    reset: () => {
      context.failures.length = 0;
      context.requests.length = 0;
      context.bodies.length = 0;
    },
    addRepo,
    repoFiles: (id) => context.repos.get(id)?.files,
    expireToken: (token) => context.expired.add(token),
    close: async () => {
      await Promise.all([closeServer(hub), cdn === undefined ? undefined : closeServer(cdn)]);
    },
  };
}

async function handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, ctx: Context, urls: Urls): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  const authorization = req.headers.authorization;
  const token = authorization?.replace(/^Bearer /, '');
  const expired = token !== undefined && ctx.expired.has(token);
  const authorized = token !== undefined && ctx.tokens.has(token) && !expired;
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
  if (failure?.dropRequest === true) return dropRequest(req, res);
  if (failure?.status !== undefined) {
    send(res, failure.status, { error: `injected ${failure.status}` });
    return;
  }
  if (await lfsStorage(req, res, path, ctx)) return;

  if (server === 'cdn') {
    const match = /^\/cdn\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(path);
    const state = match ? ctx.repos.get(match[1] as string) : undefined;
    const bytes = state?.files.get(match?.[3] as string);
    if (!state || bytes === undefined) return hubError(res, 404, 'EntryNotFound', 'Entry not found');
    return serveFile(req, res, bytes, match?.[3] as string, state, failure);
  }

  if (expired) return hubError(res, 401, undefined, 'Invalid credentials in Authorization header: the token has expired');
  if (await oauthRoute(req, res, path, url, ctx, urls)) return;
  if (path === '/api/models') return listModels(res, url, ctx, urls.hubUrl);
  if (path === '/api/whoami-v2') {
    return authorized ? whoAmI(res, token?.startsWith('hf_oauth_') === true ? 'oauth' : 'access_token') : hubError(res, 401, undefined, 'Invalid credentials');
  }
  if (req.method === 'POST') return writeRoute(req, res, path, ctx, urls, authorized);
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
    if (m[2] === 'resolve' && urls.cdnUrl !== undefined && file.endsWith('.safetensors')) {
      res.writeHead(302, {
        Location: `${urls.cdnUrl}/cdn/${state.repo.id}/${state.sha}/${file}`,
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

/** The write side: every route needs a valid token (401 otherwise, as the Hub answers). */
async function writeRoute(req: IncomingMessage, res: ServerResponse, path: string, ctx: Context, urls: Urls, authorized: boolean): Promise<void> {
  if (!authorized) return hubError(res, 401, undefined, 'Invalid credentials in Authorization header');
  if (path === '/api/repos/create') return createRepo(req, res, ctx, urls);
  const m = /^\/api\/models\/([^/]+\/[^/]+)\/(preupload|commit)\/([^/]+)$/.exec(path) ?? /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/(objects\/batch)$/.exec(path);
  const state = m ? repoFor(res, ctx, m[1] as string, true, false) : undefined;
  if (!m) return hubError(res, 404, undefined, `No route for POST ${path}`);
  if (!state) return;
  if (m[2] === 'objects/batch') return lfsBatch(req, res, ctx, urls, state.repo.id);
  if (m[3] !== 'main') return hubError(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[3]}`);
  return m[2] === 'preupload' ? preupload(req, res, ctx, state) : commit(req, res, ctx, state, urls);
}

function takeFailure(ctx: Context, path: string): MockFailure | undefined {
  const entry = ctx.failures.find((f) => f.left > 0 && path.includes(f.failure.pathIncludes));
  if (entry === undefined) return undefined;
  entry.left -= 1;
  return entry.failure;
}
