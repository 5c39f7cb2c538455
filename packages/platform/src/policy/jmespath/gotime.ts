/**
 * The part of Go's time package Kyverno's time_* functions rely on: time.Parse
 * with Go reference layouts ("2006-01-02T15:04:05Z07:00"), Format(RFC3339),
 * Sub, Add and Truncate. A time is Unix seconds + nanoseconds + the UTC offset
 * it was written with (Go keeps the offset for formatting).
 */
import { formatDuration } from './duration.js';

export interface GoTime {
  /** Unix seconds (may be negative). */
  sec: bigint;
  /** 0..999,999,999 */
  nsec: number;
  /** Offset east of UTC in seconds (the zone the time is shown in). */
  offset: number;
}

export const RFC3339 = '2006-01-02T15:04:05Z07:00';

export class TimeParseError extends Error {
  constructor(value: string, layout: string, detail: string) {
    super(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${detail}`);
    this.name = 'TimeParseError';
  }
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Layout tokens, longest first where one is a prefix of another. */
const TOKENS = [
  'January',
  'Monday',
  'Z07:00:00',
  '-07:00:00',
  'Z07:00',
  '-07:00',
  'Z0700',
  '-0700',
  '2006',
  'Jan',
  'Mon',
  'MST',
  'Z07',
  '-07',
  '002',
  '__2',
  '01',
  '02',
  '_2',
  '03',
  '04',
  '05',
  '06',
  '15',
  'PM',
  'pm',
  '1',
  '2',
  '3',
  '4',
  '5',
];

type LayoutPart = { lit: string } | { tok: string } | { frac: string };

const layoutCache = new Map<string, LayoutPart[]>();

function splitLayout(layout: string): LayoutPart[] {
  const cached = layoutCache.get(layout);
  if (cached) return cached;
  const parts: LayoutPart[] = [];
  let lit = '';
  let i = 0;
  outer: while (i < layout.length) {
    // Fractional seconds: .000 / ,000 / .999 / ,999 right after a seconds field.
    const fm = /^[.,](0+|9+)/.exec(layout.slice(i));
    if (fm && /05$|5$/.test(layout.slice(0, i)) && !/[0-9]/.test(layout[i + fm[0].length] ?? '')) {
      if (lit) {
        parts.push({ lit });
        lit = '';
      }
      parts.push({ frac: fm[0] });
      i += fm[0].length;
      continue;
    }
    for (const t of TOKENS) {
      if (layout.startsWith(t, i)) {
        // "Jan" must not be read inside "January"-like words; Go matches greedily the same way.
        if (lit) {
          parts.push({ lit });
          lit = '';
        }
        parts.push({ tok: t });
        i += t.length;
        continue outer;
      }
    }
    lit += layout[i];
    i++;
  }
  if (lit) parts.push({ lit });
  if (layoutCache.size > 256) layoutCache.clear();
  layoutCache.set(layout, parts);
  return parts;
}

function daysFromCivil(y: number, m: number, d: number): number {
  // Howard Hinnant's algorithm: days since 1970-01-01.
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [y + (m <= 2 ? 1 : 0), m, d];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** time.Parse(layout, value). Times without a zone are UTC. */
export function parseGoTime(layout: string, value: string): GoTime {
  const parts = splitLayout(layout);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nsec = 0;
  let pm: boolean | undefined;
  let offset = 0;
  let yday = -1;
  let rest = value;
  const fail = (what: string): never => {
    throw new TimeParseError(value, layout, `${JSON.stringify(rest)} as ${JSON.stringify(what)}`);
  };
  const num = (what: string, min: number, max: number, fixed: boolean): number => {
    const m = fixed ? new RegExp(`^[0-9]{${min}}`).exec(rest) : new RegExp(`^[0-9]{1,${max}}`).exec(rest);
    if (!m) return fail(what);
    rest = rest.slice(m[0].length);
    return Number(m[0]);
  };
  const range = (v: number, lo: number, hi: number, what: string): number => {
    if (v < lo || v > hi) {
      throw new TimeParseError(value, layout, `${JSON.stringify(rest)}: ${what} out of range`);
    }
    return v;
  };
  const fraction = (): void => {
    const m = /^[.,]([0-9]+)/.exec(rest);
    if (m && m[1]) {
      nsec = Number((m[1] + '000000000').slice(0, 9));
      rest = rest.slice(m[0].length);
    }
  };
  for (const p of parts) {
    if ('lit' in p) {
      if (!rest.startsWith(p.lit)) fail(p.lit);
      rest = rest.slice(p.lit.length);
      continue;
    }
    if ('frac' in p) {
      const m = /^[.,]([0-9]+)/.exec(rest);
      if (p.frac.slice(1, 2) === '0') {
        if (!m || m[1]?.length !== p.frac.length - 1) fail(p.frac);
      }
      fraction();
      continue;
    }
    switch (p.tok) {
      case '2006':
        year = num('2006', 4, 4, true);
        break;
      case '06': {
        const y = num('06', 2, 2, true);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case '01':
        month = range(num('01', 2, 2, true), 1, 12, 'month');
        break;
      case '1':
        month = range(num('1', 1, 2, false), 1, 12, 'month');
        break;
      case 'Jan':
      case 'January': {
        const names = p.tok === 'Jan' ? MONTHS.map((x) => x.slice(0, 3)) : MONTHS;
        const idx = names.findIndex((n) => rest.toLowerCase().startsWith(n.toLowerCase()));
        if (idx < 0) fail(p.tok);
        month = idx + 1;
        rest = rest.slice((names[idx] ?? '').length);
        break;
      }
      case 'Mon':
      case 'Monday': {
        const names = p.tok === 'Mon' ? DAYS.map((x) => x.slice(0, 3)) : DAYS;
        const idx = names.findIndex((n) => rest.toLowerCase().startsWith(n.toLowerCase()));
        if (idx < 0) fail(p.tok);
        rest = rest.slice((names[idx] ?? '').length);
        break;
      }
      case '02':
        day = num('02', 2, 2, true);
        break;
      case '_2':
        if (rest.startsWith(' ')) rest = rest.slice(1);
        day = num('_2', 1, 2, false);
        break;
      case '2':
        day = num('2', 1, 2, false);
        break;
      case '002':
      case '__2':
        yday = num(p.tok, 3, 3, p.tok === '002');
        break;
      case '15':
        hour = range(num('15', 1, 2, false), 0, 23, 'hour');
        break;
      case '03':
        hour = range(num('03', 2, 2, true), 0, 12, 'hour');
        break;
      case '3':
        hour = range(num('3', 1, 2, false), 0, 12, 'hour');
        break;
      case '04':
        minute = range(num('04', 2, 2, true), 0, 59, 'minute');
        break;
      case '4':
        minute = range(num('4', 1, 2, false), 0, 59, 'minute');
        break;
      case '05':
      case '5':
        second = range(num(p.tok, p.tok === '05' ? 2 : 1, 2, p.tok === '05'), 0, 59, 'second');
        // Go accepts a fractional second after the seconds field even when the layout has none.
        if (!parts.some((x) => 'frac' in x)) fraction();
        break;
      case 'PM':
      case 'pm': {
        const m = /^(AM|PM|am|pm)/.exec(rest);
        if (!m || !m[1]) return fail(p.tok);
        pm = m[1].toUpperCase() === 'PM';
        rest = rest.slice(2);
        break;
      }
      case 'MST': {
        const m = /^[A-Z]{3,5}/.exec(rest);
        if (!m) return fail('MST');
        rest = rest.slice(m[0].length);
        offset = m[0] === 'UTC' || m[0] === 'GMT' ? 0 : offset;
        break;
      }
      default: {
        // Zone offsets: Z07:00, -07:00, Z0700, -0700, Z07, -07 (and :00 seconds forms).
        const allowZ = p.tok.startsWith('Z');
        if (allowZ && rest.startsWith('Z')) {
          rest = rest.slice(1);
          offset = 0;
          break;
        }
        const colon = p.tok.includes(':');
        const withSeconds = p.tok.endsWith(':00:00');
        const re = colon
          ? withSeconds
            ? /^([+-])([0-9]{2}):([0-9]{2}):([0-9]{2})/
            : /^([+-])([0-9]{2}):([0-9]{2})/
          : p.tok.endsWith('0700')
            ? /^([+-])([0-9]{2})([0-9]{2})/
            : /^([+-])([0-9]{2})/;
        const m = re.exec(rest);
        if (!m) return fail(p.tok);
        const hh = Number(m[2]);
        const mm = Number(m[3] ?? '0');
        const ss = Number(m[4] ?? '0');
        if (hh > 24 || mm > 59 || ss > 59) fail(p.tok);
        offset = (m[1] === '-' ? -1 : 1) * (hh * 3600 + mm * 60 + ss);
        rest = rest.slice(m[0].length);
      }
    }
  }
  if (rest !== '') throw new TimeParseError(value, layout, `${JSON.stringify(rest)}: extra text`);
  if (pm !== undefined) {
    if (hour > 12) throw new TimeParseError(value, layout, 'hour out of range');
    if (pm && hour < 12) hour += 12;
    else if (!pm && hour === 12) hour = 0;
  }
  if (yday >= 0) {
    const [, m2, d2] = civilFromDays(daysFromCivil(year, 1, 1) + yday - 1);
    month = m2;
    day = d2;
  }
  if (day < 1 || day > daysIn(month, year)) {
    throw new TimeParseError(value, layout, `${JSON.stringify(value)}: day out of range`);
  }
  const days = daysFromCivil(year, month, day);
  const local = BigInt(days) * 86400n + BigInt(hour * 3600 + minute * 60 + second);
  return { sec: local - BigInt(offset), nsec, offset };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function civil(t: GoTime): Civil {
  const local = t.sec + BigInt(t.offset);
  let days = local / 86400n;
  let secs = local % 86400n;
  if (secs < 0n) {
    secs += 86400n;
    days -= 1n;
  }
  const [year, month, day] = civilFromDays(Number(days));
  const s = Number(secs);
  const weekday = (((Number(days) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return {
    year,
    month,
    day,
    hour: Math.floor(s / 3600),
    minute: Math.floor((s % 3600) / 60),
    second: s % 60,
    weekday,
  };
}

/** t.Format(time.RFC3339) */
export function formatRFC3339(t: GoTime): string {
  const c = civil(t);
  if (c.year < 0 || c.year > 9999) throw new Error('Time.MarshalText: year outside of range [0,9999]');
  let zone = 'Z';
  if (t.offset !== 0) {
    const abs = Math.abs(t.offset);
    zone = `${t.offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor((abs % 3600) / 60), 2)}`;
  }
  return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}${zone}`;
}

export function toNanos(t: GoTime): bigint {
  return t.sec * 1_000_000_000n + BigInt(t.nsec);
}

function fromNanos(n: bigint, offset: number): GoTime {
  let sec = n / 1_000_000_000n;
  let nsec = n % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return { sec, nsec: Number(nsec), offset };
}

export function addDuration(t: GoTime, d: bigint): GoTime {
  return fromNanos(toNanos(t) + d, t.offset);
}

/** t2.Sub(t1) as a Duration string. */
export function subString(t2: GoTime, t1: GoTime): string {
  return formatDuration(toNanos(t2) - toNanos(t1));
}

/** Seconds from Go's zero time (0001-01-01 UTC) to the Unix epoch. */
const ZERO_TO_UNIX = 62_135_596_800n;

/** t.Truncate(d): rounds down to a multiple of d since Go's zero time. */
export function truncateTime(t: GoTime, d: bigint): GoTime {
  if (d <= 0n) return t;
  const abs = toNanos(t) + ZERO_TO_UNIX * 1_000_000_000n;
  let r = abs % d;
  if (r < 0n) r += d;
  return fromNanos(toNanos(t) - r, t.offset);
}

export function nowTime(nowMs: number, offsetSeconds: number): GoTime {
  const ms = BigInt(Math.floor(nowMs));
  return fromNanos(ms * 1_000_000n, offsetSeconds);
}

export function utc(t: GoTime): GoTime {
  return { ...t, offset: 0 };
}

export function compareTimes(a: GoTime, b: GoTime): number {
  const x = toNanos(a);
  const y = toNanos(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
