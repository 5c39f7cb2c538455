/**
 * Exponential backoff with equal jitter: the n-th retry waits between half
 * and all of min(max, initial·2^(n-1)). A receiver's Retry-After wins over the
 * computed delay (never waiting less than asked), capped at maxRetryAfterMs.
 */

export interface RetryOptions {
  /** Attempts in all, the first included; 1 = no retry. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Delay before retry number `retry` (1 = first retry); `random` in [0, 1). */
export function backoffDelay(
  retry: number,
  opts: RetryOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, opts.maxRetryAfterMs);
  const base = Math.min(opts.maxBackoffMs, opts.initialBackoffMs * 2 ** Math.min(retry - 1, 30));
  return Math.round(base / 2 + random() * (base / 2));
}

/** Resolves after `ms`, or early (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
