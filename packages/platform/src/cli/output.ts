import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PalisadeError } from '../core/errors.js';
import type { CliIO } from './io.js';

/** Characters written at a time. */
const CHUNK = 1 << 20;

/**
 * Cuts a text into pieces of about `size` characters, never between the two
 * halves of a surrogate pair (each piece is encoded to UTF-8 on its own).
 */
export function textChunks(text: string, size = CHUNK): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/**
 * Writes results to --output (atomically enough for CI artifacts) or stdout, in
 * pieces of 1 Mi characters: a report with details runs to tens of MB, and
 * encoding it whole into one fresh buffer took ~5× as long (a two-byte string
 * of 18 M characters: ~140 ms against ~30 ms, docs/benchmarks.md, Matching).
 */
export async function emit(io: CliIO, text: string, output: string): Promise<void> {
  const chunks = textChunks(text);
  if (!output) {
    for (const c of chunks) io.stdout.write(c);
    return;
  }
  const path = resolve(io.cwd, output);
  try {
    const fh = await open(path, 'w');
    try {
      // writeFile on a handle writes from its position, and all of it.
      for (const c of chunks) await fh.writeFile(c);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot write ${path}`, {
      cause: err,
      hint: 'check that the directory exists and is writable',
    });
  }
}
