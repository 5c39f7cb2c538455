/**
 * Coded errors. Every error Palisade raises on purpose carries a stable `code`
 * (documented in docs/errors.md), a human message, an optional cause and, for
 * user-written input, a location. Expected outcomes (a malformed lockfile that
 * can be skipped) are diagnostics, not exceptions; see diagnostics.ts.
 */
import type { SourceLocation } from './location.js';
import { formatLocation } from './location.js';

export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_NOT_FOUND'
  | 'E_IO'
  | 'E_PARSE'
  | 'E_UNSUPPORTED'
  | 'E_ARCHIVE_PATH'
  | 'E_ARCHIVE_LINK'
  | 'E_ARCHIVE_SIZE'
  | 'E_ARCHIVE_BOMB'
  | 'E_ARCHIVE_TRUNCATED'
  | 'E_DIGEST_MISMATCH'
  | 'E_MANIFEST'
  | 'E_LIMIT'
  | 'E_REGISTRY'
  | 'E_AUTH'
  | 'E_DB_LOCKED'
  | 'E_DB_CORRUPT'
  | 'E_DB_SCHEMA'
  | 'E_DOWNLOAD'
  | 'E_K8S_API'
  | 'E_ABORTED'
  | 'E_INTERNAL';

export interface PalisadeErrorOptions {
  cause?: unknown;
  location?: SourceLocation;
  /** What the user can do about it; printed on its own line by the CLI. */
  hint?: string;
}

export class PalisadeError extends Error {
  readonly code: ErrorCode;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: PalisadeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PalisadeError';
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
  }

  /** One line for a terminal: `E_PARSE at file:3:4: message`. */
  describe(): string {
    const where = this.location ? ` at ${formatLocation(this.location)}` : '';
    return `${this.code}${where}: ${this.message}`;
  }
}

export function isPalisadeError(err: unknown): err is PalisadeError {
  return err instanceof PalisadeError;
}

/** Message of any thrown value, without JSON.stringify. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Wraps a foreign error in a PalisadeError unless it already is one. */
export function wrapError(
  err: unknown,
  code: ErrorCode,
  message: string,
  options: Omit<PalisadeErrorOptions, 'cause'> = {},
): PalisadeError {
  if (err instanceof PalisadeError) return err;
  return new PalisadeError(code, `${message}: ${errorMessage(err)}`, { ...options, cause: err });
}
