/**
 * A progress bar on stderr when it is a terminal; silent when piped, in CI or
 * with --quiet. Implements the scanner's ProgressSink.
 */
import type * as CliProgress from 'cli-progress';
import { lazy } from '../core/lazy.js';

const cliProgress = lazy<typeof CliProgress>('cli-progress');
import type { ProgressSink } from '../scan/inventory.js';
import type { CliIO } from './io.js';

export function progressFor(io: CliIO, quiet: boolean): ProgressSink | undefined {
  if (quiet || !io.stderr.isTTY || io.env['CI']) return undefined;
  let bar: CliProgress.SingleBar | undefined;
  let value = 0;
  return {
    start(label, total) {
      value = 0;
      bar = new (cliProgress().SingleBar)({
        stream: io.stderr,
        format: `${label.padEnd(12)} [{bar}] {percentage}% | {done}/{size}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      });
      bar.start(Math.max(total, 1), 0, { done: mb(0), size: total > 0 ? mb(total) : '?' });
    },
    advance(bytes) {
      value += bytes;
      bar?.update(value, { done: mb(value) });
    },
    done() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
