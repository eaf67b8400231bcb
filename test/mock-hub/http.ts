/** HTTP plumbing the mock Hub's routes share: JSON answers, the Hub's error headers, CORS, bodies, hashes. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

const EXPOSED_HEADERS =
  'ETag, Content-Range, Accept-Ranges, Content-Length, Link, X-Repo-Commit, X-Linked-Size, X-Linked-ETag, X-Error-Code, X-Error-Message, X-Request-Id';

export function cors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, OPTIONS');
  const requested = req.headers['access-control-request-headers'];
  if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
  res.setHeader('Access-Control-Max-Age', '600');
}

export function hubError(res: ServerResponse, status: number, code: string | undefined, message: string): void {
  if (code !== undefined) res.setHeader('X-Error-Code', code);
  res.setHeader('X-Error-Message', message);
  send(res, status, { error: message });
}

export function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The whole request body. */
export async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Reads a little of the body, then drops the connection without an answer (an upload cut off mid-way). */
export function dropRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    req.once('data', () => {
      res.destroy();
      resolve();
    });
    req.once('end', () => {
      res.destroy();
      resolve();
    });
  });
}

export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Every file under `root` (recursively) by its `/`-separated relative path. */
export async function readTree(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split(sep).join('/'), new Uint8Array(await readFile(path)));
  }
  return files;
}

/** A stable stand-in for a git commit: the same files give the same sha. */
export function commitSha(id: string, files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash('sha1').update(id);
  for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(path).update(bytes);
  return hash.digest('hex');
}

export function parseRange(header: string, size: number): { start: number; end: number } | undefined {
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

export function etag(file: string, bytes: Uint8Array): string {
  const algorithm = file.endsWith('.safetensors') ? 'sha256' : 'sha1';
  return `"${createHash(algorithm).update(bytes).digest('hex')}"`;
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
