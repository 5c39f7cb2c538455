/**
 * file: alerts appended as lines (JSON by default) to one file, opened once
 * in append mode. No rotation: use logrotate's copytruncate, or a new name.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { DeliveryError } from './http.js';
import type { AlertOutput } from './output.js';
import { alertLine } from './stdout.js';

export interface FileOutputOptions {
  name?: string;
  path: string;
  format?: 'json' | 'text';
}

export function createFileOutput(o: FileOutputOptions): AlertOutput {
  const format = o.format ?? 'json';
  let handle: Promise<FileHandle> | undefined;
  const file = (): Promise<FileHandle> => {
    handle ??= open(o.path, 'a', 0o600).catch((e: unknown) => {
      handle = undefined;
      throw e;
    });
    return handle;
  };
  return {
    name: o.name ?? 'file',
    kind: 'file',
    target: o.path,
    units: (batch) => [
      {
        alerts: batch.length,
        deliver: async () => {
          try {
            const fh = await file();
            await fh.appendFile(batch.map((a) => alertLine(a, format)).join(''), 'utf8');
          } catch (e) {
            throw new DeliveryError(`cannot write ${o.path}: ${(e as Error).message}`, {
              retryable: true,
              cause: e,
            });
          }
        },
      },
    ],
    close: async () => {
      const h = handle;
      handle = undefined;
      if (h) await (await h).close();
    },
  };
}
