/** Time renderings used by evt.time*, jevt.time* and the alert line (Falco's formats). */

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** `HH:MM:SS.nnnnnnnnn` in local time, as Falco's %evt.time. */
export function clockTime(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(nsec, 9)}`;
}

// Events in a stream mostly share their second with the one before: the UTC rendering of the
// last second is kept (UTC does not depend on the process's time zone).
let isoSec = Number.NaN;
let isoPrefix = '';

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` in UTC, as Falco's JSON `time` and %evt.time.iso8601. */
export function iso8601(sec: number, nsec: number): string {
  if (sec !== isoSec) {
    const d = new Date(sec * 1000);
    isoPrefix =
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
      `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.`;
    isoSec = sec;
  }
  return `${isoPrefix}${pad(nsec, 9)}Z`;
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
  const fast = parseUtcFast(s);
  if (fast !== undefined) return fast;
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/.exec(s);
  if (!m) return undefined;
  const zone = m[3] === 'z' ? 'Z' : (m[3] as string);
  const ms = Date.parse(`${(m[1] as string).replace(' ', 'T')}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return { sec: Math.floor(ms / 1000), nsec: Number(frac) };
}

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
};

/**
 * The shape kube-apiserver writes (`2018-10-25T14:09:12.123456Z`: UTC, `T`,
 * optional fraction) without a regex or Date.parse; undefined for anything else
 * (the general parser then decides).
 */
function parseUtcFast(s: string): { sec: number; nsec: number } | undefined {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const se = digits(s, 17, 19);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return undefined;
  // days per month (Date.UTC would roll 31 April over into May, Date.parse rejects it)
  const dim =
    mo === 2
      ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        ? 29
        : 28
      : [4, 6, 9, 11].includes(mo)
        ? 30
        : 31;
  if (d > dim) return undefined;
  let nsec = 0;
  if (n > 20) {
    if (s[19] !== '.' || n === 21) return undefined;
    const frac = digits(s, 20, n - 1);
    if (frac < 0) return undefined;
    nsec = frac * 10 ** (9 - (n - 21));
  }
  return { sec: Date.UTC(y, mo - 1, d, h, mi, se) / 1000, nsec };
}
