/**
 * One writer at a time: `<db>.lock` holds the writer's PID, created
 * exclusively. A lock whose process is gone (killed mid-import) is taken over.
 * Temporary files carry the PID too, so leftovers of dead writers are removed
 * by the next one.
 */
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PalisadeError } from '../../core/errors.js';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface WriterLock {
  release(): void;
}

export function acquireWriterLock(dbPath: string): WriterLock {
  const lockPath = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PalisadeError('E_IO', `cannot create ${lockPath}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      let pid = NaN;
      try {
        pid = Number(readFileSync(lockPath, 'utf8').trim());
      } catch {
        // vanished in between: try again
      }
      if (alive(pid))
        throw new PalisadeError(
          'E_DB_LOCKED',
          `another palisade process (pid ${pid}) is updating the advisory database ${dbPath}`,
          { hint: `wait for it to finish; if no such process runs, remove ${lockPath}` },
        );
      rmSync(lockPath, { force: true });
    }
  }
  throw new PalisadeError('E_DB_LOCKED', `cannot take the writer lock ${lockPath}`);
}

/** A temporary file name beside the database, tagged with this process' PID. */
export function tempPath(dbPath: string, kind: 'tmp' | 'download', tag = ''): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return `${dbPath}.${kind}-${process.pid}-${tag ? `${tag}-` : ''}${rand}`;
}

/** Removes temporary files of writers that no longer run. */
export function removeStaleTemps(dbPath: string): void {
  const dir = dirname(dbPath);
  const base = basename(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|download)-(\\d+)-`);
  for (const n of names) {
    const m = re.exec(n);
    if (m && !alive(Number(m[1]))) rmSync(join(dir, n), { force: true });
  }
}
