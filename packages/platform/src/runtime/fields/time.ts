/** Time renderings used by evt.time*, jevt.time* and the alert line (Falco's formats). */

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** `HH:MM:SS.nnnnnnnnn` in local time, as Falco's %evt.time. */
export function clockTime(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(nsec, 9)}`;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` in UTC, as Falco's JSON `time` and %evt.time.iso8601. */
export function iso8601(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(nsec, 9)}Z`
  );
}

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in local time (%evt.datetime). */
export function dateTime(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)} ` +
    `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(nsec, 9)}`
  );
}

/** Nanoseconds since the epoch as a decimal string (exact; beyond 2^53). */
export function rawTime(sec: number, nsec: number): string {
  return (BigInt(sec) * 1_000_000_000n + BigInt(nsec)).toString();
}

/**
 * Parses an RFC 3339 timestamp (`2018-10-25T14:09:12.123456Z`, offsets allowed)
 * into seconds and nanoseconds; undefined when it is not one.
 */
export function parseRfc3339(s: string): { sec: number; nsec: number } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/.exec(s);
  if (!m) return undefined;
  const zone = m[3] === 'z' ? 'Z' : (m[3] as string);
  const ms = Date.parse(`${(m[1] as string).replace(' ', 'T')}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return { sec: Math.floor(ms / 1000), nsec: Number(frac) };
}
