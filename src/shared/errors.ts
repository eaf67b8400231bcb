/**
 * Typed errors. Every failure a user can meet carries a stable `code`, the context it happened in
 * (model, file, tensor, line) and a `hint` that says what to do. The UI maps codes to help; the CLI prints
 * `message` and `hint` on one line each. Errors cross the worker boundary as {@link ErrorPayload}.
 */

/** Every error code the core can raise. Add a code here before raising it. */
export const ERROR_CODES = [
  // safetensors and index parsing
  'E_TRUNCATED',
  'E_HEADER_TOO_LARGE',
  'E_HEADER_NOT_JSON',
  'E_HEADER_INVALID',
  'E_UNKNOWN_DTYPE',
  'E_BAD_SHAPE',
  'E_BAD_OFFSETS',
  'E_INDEX_INVALID',
  'E_SHARD_MISSING',
  'E_TENSOR_MISSING',
  // models and folders
  'E_NO_WEIGHTS',
  'E_CONFIG_INVALID',
  'E_CONFIG_MISSING',
  'E_FOLDER_MISSING',
  'E_LFS_POINTER',
  'E_FILE_MISSING',
  'E_FILE_CHANGED',
  'E_SHORT_READ',
  // hub
  'E_HUB_UNAUTHORIZED',
  'E_GATED_REPO',
  'E_HUB_NOT_FOUND',
  'E_HUB_HTTP',
  'E_HUB_BAD_RESPONSE',
  'E_NETWORK',
  // output
  'E_SINK_WRITE',
  'E_OUTPUT_NOT_EMPTY',
  'E_WRITER_ORDER',
  // recipes and plans
  'E_RECIPE_YAML',
  'E_RECIPE_INVALID',
  'E_UNKNOWN_METHOD',
  'E_SHAPE_MISMATCH',
  'E_ARCH_MISMATCH',
  'E_LORA_INVALID',
  'E_STAGE_CYCLE',
  'E_UNSUPPORTED',
  // running
  'E_CANCELLED',
  'E_GPU',
  'E_DEVICE_LOST',
  'E_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where an error happened. Every field is optional; fill in what is known. */
export interface ErrorContext {
  /** Model reference as the user wrote it: a Hub repo id (with revision) or a local folder name. */
  readonly model?: string;
  /** File path inside the model, or a local path, or a URL path (never with a token in it). */
  readonly file?: string;
  readonly tensor?: string;
  readonly shard?: string;
  /** 1-based line and column in a recipe. */
  readonly line?: number;
  readonly column?: number;
  /** Byte offset inside `file`. */
  readonly offset?: number;
  /** HTTP status, for Hub errors. */
  readonly status?: number;
}

export interface AppErrorOptions {
  readonly context?: ErrorContext;
  /** What the user can do about it, one sentence. */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    this.hint = options.hint;
  }

  /** The same error with more context (inner context wins: it is more specific). */
  withContext(context: ErrorContext): AppError {
    return new AppError(this.code, this.message, {
      context: { ...context, ...this.context },
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      cause: this.cause,
    });
  }

  toPayload(): ErrorPayload {
    return {
      code: this.code,
      message: this.message,
      context: this.context,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/** Plain-data form of an {@link AppError}: survives structured clone and JSON. */
export interface ErrorPayload {
  readonly code: ErrorCode;
  readonly message: string;
  readonly context: ErrorContext;
  readonly hint?: string;
}

export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code);
}

export function fromPayload(payload: ErrorPayload): AppError {
  return new AppError(payload.code, payload.message, {
    context: payload.context,
    ...(payload.hint === undefined ? {} : { hint: payload.hint }),
  });
}

/** Wraps anything thrown into an {@link AppError}; AppErrors pass through with the extra context. */
export function toAppError(error: unknown, context: ErrorContext = {}): AppError {
  if (error instanceof AppError) return error.withContext(context);
  if (isAbortError(error)) return new AppError('E_CANCELLED', 'Cancelled.', { context, cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('E_INTERNAL', message, { context, cause: error });
}

export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'name' in error &&
    ((error as { name: unknown }).name === 'AbortError' || (error as { name: unknown }).name === 'TimeoutError')
  );
}

/** One line per fact: `message`, then where, then the hint. Used by the CLI and logs. */
export function describeError(error: AppError): string {
  const where = describeContext(error.context);
  return [error.message, where === '' ? undefined : `(${where})`, error.hint].filter(Boolean).join(' ');
}

/** The error without its place in a recipe's text (`Line 2: …`, line:column): for views other than the text itself. */
export function withoutTextPosition(error: ErrorPayload): ErrorPayload {
  const { line: _line, column: _column, ...context } = error.context;
  return { ...error, message: error.message.replace(/^Line \d+: /, ''), context };
}

export function describeContext(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.model !== undefined) parts.push(`model ${context.model}`);
  if (context.file !== undefined) parts.push(`file ${context.file}`);
  if (context.shard !== undefined && context.shard !== context.file) parts.push(`shard ${context.shard}`);
  if (context.tensor !== undefined) parts.push(`tensor ${context.tensor}`);
  if (context.line !== undefined) {
    parts.push(context.column === undefined ? `line ${context.line}` : `line ${context.line}:${context.column}`);
  }
  if (context.offset !== undefined) parts.push(`byte ${context.offset}`);
  if (context.status !== undefined) parts.push(`HTTP ${context.status}`);
  return parts.join(', ');
}
