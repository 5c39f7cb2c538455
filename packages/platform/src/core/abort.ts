import { PalisadeError } from './errors.js';

/** Throws E_ABORTED when the signal has fired. Call it between units of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new PalisadeError('E_ABORTED', 'operation was cancelled', { cause: signal.reason });
  }
}
