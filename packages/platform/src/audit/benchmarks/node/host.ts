/**
 * The real node: processes from /proc, files through node:fs, allow-listed programs through
 * execFile (an argument array, never a shell) killed at the audit's deadline. `pathMap` rewrites
 * path prefixes (a host file system mounted elsewhere, or a test cluster's files standing in for
 * kubeadm's /etc/kubernetes paths); `pids` limits the process table the audits see.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import type { ExecResult, ProcInfo, ShellHost, StatInfo } from './shell.js';

export interface NodeHostOptions {
  /** Only these process ids are visible (default: every process in /proc). */
  pids?: readonly number[];
  /** Path prefix rewrites, longest first: [['/etc/kubernetes/pki', '/tmp/x/pki']]. */
  pathMap?: readonly (readonly [string, string])[];
  /** Root of /proc (tests). */
  procRoot?: string;
}

function idNames(file: string): Map<number, string> {
  const m = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] && /^[0-9]+$/.test(f[2] ?? '')) m.set(Number(f[2]), f[0]);
  }
  return m;
}

export function createNodeHost(opts: NodeHostOptions = {}): ShellHost & { mapPath(p: string): string } {
  const procRoot = opts.procRoot ?? '/proc';
  const map = [...(opts.pathMap ?? [])].sort((a, b) => b[0].length - a[0].length);
  const mapPath = (p: string): string => {
    for (const [from, to] of map) {
      const f = from.replace(/\/+$/, '');
      if (p === f || p.startsWith(`${f}/`)) return to.replace(/\/+$/, '') + p.slice(f.length);
    }
    return p;
  };
  let users: Map<number, string> | undefined;
  let groups: Map<number, string> | undefined;
  const toStat = (s: import('node:fs').Stats): StatInfo => ({
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    isDirectory: s.isDirectory(),
    isFile: s.isFile(),
  });
  return {
    mapPath,
    async processes(): Promise<ProcInfo[]> {
      let ids: number[];
      if (opts.pids) ids = [...opts.pids];
      else {
        ids = (await readdir(procRoot)).filter((n) => /^[0-9]+$/.test(n)).map(Number);
        ids.sort((a, b) => a - b);
      }
      const out: ProcInfo[] = [];
      for (const pid of ids) {
        try {
          const [cmdline, statText, status] = await Promise.all([
            readFile(`${procRoot}/${pid}/cmdline`, 'utf8'),
            readFile(`${procRoot}/${pid}/stat`, 'utf8'),
            readFile(`${procRoot}/${pid}/status`, 'utf8'),
          ]);
          const open = statText.indexOf('(');
          const close = statText.lastIndexOf(')');
          const comm = statText.slice(open + 1, close);
          const ppid = Number(statText.slice(close + 2).split(' ')[1]);
          const uid = Number(/^Uid:\s+([0-9]+)/m.exec(status)?.[1] ?? 0);
          const argv = cmdline.split('\0');
          if (argv[argv.length - 1] === '') argv.pop();
          out.push({ pid, ppid, uid, comm, argv });
        } catch {
          // the process ended while we read it
        }
      }
      return out;
    },
    async stat(p: string): Promise<StatInfo | undefined> {
      try {
        return toStat(await stat(mapPath(p)));
      } catch {
        return undefined;
      }
    },
    async readFile(p: string, max: number): Promise<string> {
      const real = mapPath(p);
      let st;
      try {
        st = await stat(real);
      } catch {
        throw new Error('No such file or directory');
      }
      if (st.isDirectory()) throw new Error('Is a directory');
      // FIFOs, sockets and devices could block: only regular files are read.
      if (!st.isFile()) throw new Error('not a regular file');
      const fh = await open(real, 'r');
      try {
        const buf = Buffer.alloc(Math.min(max, Math.max(st.size, 64 * 1024)));
        let n = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
          if (bytesRead === 0 || n + bytesRead >= buf.length) {
            n += bytesRead;
            break;
          }
          n += bytesRead;
        }
        return buf.subarray(0, n).toString('utf8');
      } finally {
        await fh.close();
      }
    },
    async readdir(p: string): Promise<string[]> {
      return readdir(mapPath(p));
    },
    userName(uid: number): string {
      users ??= idNames('/etc/passwd');
      return users.get(uid) ?? 'UNKNOWN';
    },
    groupName(gid: number): string {
      groups ??= idNames('/etc/group');
      return groups.get(gid) ?? 'UNKNOWN';
    },
    exec(program: string, args: string[], stdin: string, signal: AbortSignal): Promise<ExecResult> {
      return new Promise((resolve) => {
        const child = execFile(
          program,
          args,
          { signal, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, encoding: 'utf8', shell: false },
          (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
            if (e && (e.name === 'AbortError' || signal.aborted))
              resolve({ stdout, stderr, code: 124, timedOut: true });
            else if (e && typeof e.code === 'number') resolve({ stdout, stderr, code: e.code });
            else if (e) resolve({ stdout, stderr: `${stderr}${program}: ${e.message}\n`, code: 127 });
            else resolve({ stdout, stderr, code: 0 });
          },
        );
        child.stdin?.end(stdin);
      });
    },
  };
}
