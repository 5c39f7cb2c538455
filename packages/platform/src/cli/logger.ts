import pino from 'pino';
import type { Logger } from '../core/logger.js';
import type { CliIO } from './io.js';

/** Structured logs to stderr (results go to stdout). */
export function cliLogger(io: CliIO, level: string): Logger {
  return pino(
    {
      level,
      base: { component: 'cli' },
      redact: ['password', '*.password', 'authorization', '*.authorization'],
    },
    io.stderr,
  );
}
