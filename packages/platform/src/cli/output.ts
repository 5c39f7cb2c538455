import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PalisadeError } from '../core/errors.js';
import type { CliIO } from './io.js';

/** Writes results to --output (atomically enough for CI artifacts) or stdout. */
export async function emit(io: CliIO, text: string, output: string): Promise<void> {
  if (!output) {
    io.stdout.write(text);
    return;
  }
  const path = resolve(io.cwd, output);
  try {
    await writeFile(path, text);
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot write ${path}`, {
      cause: err,
      hint: 'check that the directory exists and is writable',
    });
  }
}
