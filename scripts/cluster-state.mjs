// Shared by cluster-up.mjs and cluster-down.mjs: where the background cluster's state lives and
// whether a recorded pid still is the process we started (pids are reused after a reboot).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function stateDir(home, override) {
  return override && override !== '' ? override : join(home, '.cache', 'palisade', 'cluster');
}

/** True when `pid` runs and its command line names `binary` (not some later process). */
export function isAlive(pid, binary) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return cmdline.endsWith(`/${binary}`) || cmdline === binary;
  } catch {
    return false;
  }
}
