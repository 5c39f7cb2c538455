/**
 * stdout: one alert per line, Falco's JSON alert line (`format: json`, the
 * default) or its text line (`format: text`, the alert's `output`).
 */
import type { Writable } from 'node:stream';
import { DeliveryError } from './http.js';
import type { AlertOutput } from './output.js';
import type { FalcoAlert } from './types.js';

export interface StdoutOutputOptions {
  name?: string;
  format?: 'json' | 'text';
  /** Where lines go; process.stdout unless given. */
  stream?: Writable;
}

export function alertLine(a: FalcoAlert, format: 'json' | 'text'): string {
  return format === 'text' ? `${a.output}\n` : `${JSON.stringify(a)}\n`;
}

export function writeLines(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => {
      if (err) reject(new DeliveryError(`write failed: ${err.message}`, { retryable: true, cause: err }));
      else resolve();
    });
  });
}

export function createStdoutOutput(o: StdoutOutputOptions = {}): AlertOutput {
  const format = o.format ?? 'json';
  const stream = o.stream ?? process.stdout;
  return {
    name: o.name ?? 'stdout',
    kind: 'stdout',
    target: 'stdout',
    units: (batch) => [
      {
        alerts: batch.length,
        deliver: () => writeLines(stream, batch.map((a) => alertLine(a, format)).join('')),
      },
    ],
  };
}
