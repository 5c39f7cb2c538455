/**
 * Walks a directory tree (a source tree for `fs`, an unpacked root file system
 * for `rootfs`) and presents it to the analyzers exactly like one image layer:
 * the same EntryVisitor, paths relative to the root. Symlinks are reported,
 * never followed, so a link cannot lead the scan outside the tree.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../../core/abort.js';
import { PalisadeError } from '../../core/errors.js';
import type { EntryVisitor } from './types.js';

export interface DirectoryWalkOptions {
  /** Directory names (or relative paths) not descended into. */
  skipDirs?: readonly string[];
  maxEntries?: number;
  signal?: AbortSignal;
}

export interface DirectoryWalkStats {
  files: number;
  dirs: number;
  skipped: number;
}

/** Skipped in every tree: version control metadata and, for a live root, the kernel's pseudo file systems. */
const ALWAYS_SKIP = new Set(['.git', '.hg', '.svn']);
const ROOT_PSEUDO = new Set(['proc', 'sys', 'dev']);

export async function walkDirectory(
  root: string,
  visit: EntryVisitor,
  opts: DirectoryWalkOptions = {},
): Promise<DirectoryWalkStats> {
  const maxEntries = opts.maxEntries ?? 5_000_000;
  const skip = new Set(opts.skipDirs ?? []);
  const stats: DirectoryWalkStats = { files: 0, dirs: 0, skipped: 0 };
  let entries = 0;
  try {
    const st = await lstat(root);
    if (!st.isDirectory()) throw new PalisadeError('E_USAGE', `${root} is not a directory`);
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('E_NOT_FOUND', `cannot read ${root}`, { cause: err, hint: 'check the path' });
  }
  const stack: string[] = [''];
  while (stack.length > 0) {
    throwIfAborted(opts.signal);
    const rel = stack.pop() as string;
    let dirents: Dirent[];
    try {
      dirents = await readdir(join(root, rel), { withFileTypes: true });
    } catch {
      stats.skipped++;
      continue;
    }
    dirents.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    for (const d of dirents) {
      if (++entries > maxEntries) {
        throw new PalisadeError('E_LIMIT', `more than ${maxEntries} entries under ${root}`, {
          hint: 'narrow the target or use --skip-dirs',
        });
      }
      const path = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) {
        if (
          ALWAYS_SKIP.has(d.name) ||
          skip.has(d.name) ||
          skip.has(path) ||
          (rel === '' && root === '/' && ROOT_PSEUDO.has(d.name))
        ) {
          stats.skipped++;
          continue;
        }
        stats.dirs++;
        stack.push(path);
        continue;
      }
      const abs = join(root, path);
      if (d.isSymbolicLink()) {
        await visit({ path, type: 'symlink', size: 0, mode: 0o777 }, () => Promise.resolve(Buffer.alloc(0)));
        continue;
      }
      if (!d.isFile()) continue;
      let st;
      try {
        st = await lstat(abs);
      } catch {
        stats.skipped++;
        continue;
      }
      stats.files++;
      await visit({ path, type: 'file', size: st.size, mode: st.mode & 0o7777 }, () => readFile(abs));
    }
  }
  return stats;
}
