/** The mock Hub's public options and the state its routes share. */

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
  /** Upload side: read part of the request body, then destroy the connection without answering (a dropped upload). */
  readonly dropRequest?: boolean;
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
  /** Bearer tokens that unlock private and gated repos (and may write, as the user `mock-user`). */
  readonly tokens?: readonly string[];
  /** Redirect `resolve` of `.safetensors` files to a second server (another origin), as the real Hub does. */
  readonly cdn?: boolean;
  /** Models per page of `/api/models` (the Hub pages with an absolute `Link: <…>; rel="next"`). */
  readonly pageSize?: number;
  /** LFS uploads of files larger than this go multipart, in parts of this size (default 5 MiB). */
  readonly multipartChunkBytes?: number;
}

export interface MockHub {
  readonly url: string;
  readonly cdnUrl: string | undefined;
  readonly requests: LoggedRequest[];
  fail(failure: MockFailure): void;
  /** Forgets injected failures and the request log. */
  reset(): void;
  addRepo(repo: MockRepo): Promise<void>;
  /** A repo's files as they are now (after commits), or undefined. */
  repoFiles(id: string): ReadonlyMap<string, Uint8Array> | undefined;
  /** From now on the Hub answers 401 "token expired" to this token. */
  expireToken(token: string): void;
  /** Every request body the write side received, as text (commits, batches, repo creation), for leak scans. */
  readonly bodies: string[];
  close(): Promise<void>;
}

export const MOCK_TOKEN = 'hf_mock_token_0123456789';

export interface RepoState {
  readonly repo: MockRepo;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly sha: string;
  readonly lastModified: string;
  /** Files committed through the LFS protocol (besides `.safetensors`, which are always LFS). */
  readonly lfsPaths?: ReadonlySet<string>;
}

export interface Context {
  readonly repos: Map<string, RepoState>;
  readonly requests: LoggedRequest[];
  readonly failures: { failure: MockFailure; left: number }[];
  readonly tokens: Set<string>;
  readonly expired: Set<string>;
  readonly pageSize: number;
  readonly lfs: LfsStore;
  readonly bodies: string[];
}

/** LFS objects by repo and sha256 (kept after an interrupted upload, as the Hub keeps them), and open multipart uploads. */
export interface LfsStore {
  readonly objects: Map<string, Uint8Array>;
  readonly multipart: Map<string, { readonly size: number; readonly parts: Map<number, Uint8Array> }>;
  readonly chunkBytes: number;
}

export interface Urls {
  readonly hubUrl: string;
  readonly cdnUrl: string | undefined;
}
