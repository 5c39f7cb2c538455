/**
 * FIRST EPSS scores (`epss_scores-current.csv.gz`): an optional comment line
 * `#model_version:v2025.03.14,score_date:2025-08-26T00:00:00+0000`, a header
 * `cve,epss,percentile`, then one row per CVE. The file is gunzipped as a
 * stream with bounds on the decompressed size, the line length and the row
 * count; a malformed row is skipped with a counted warning naming its line.
 *
 * Scores are kept in sorted typed arrays (CVE key = year * 1e8 + number),
 * 24 bytes a row, and looked up by binary search: the ~360k rows of the
 * real file load in a few hundred milliseconds and take ~9 MB. Rows are read
 * in place in each decompressed chunk (no string per line, scores from their
 * digits) and ordered by a radix sort (`npm run bench:enrich`).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';

export const EPSS_LIMITS = {
  /** Decompressed bytes at most (the real file is ~13 MB). */
  maxBytes: 256 * 1024 * 1024,
  /** Compressed bytes at most. */
  maxCompressedBytes: 64 * 1024 * 1024,
  maxRows: 5_000_000,
  maxLineLength: 1024,
  /** Diagnostics kept (the rest are counted only). */
  maxDiagnostics: 100,
};

export interface EpssScore {
  score: number;
  percentile: number;
}

export interface EpssTable {
  /** `v2025.03.14` when the file says. */
  modelVersion?: string;
  /** Score date as the file writes it (`2025-08-26T00:00:00+0000`), when it says. */
  scoreDate?: string;
  size: number;
  get(cve: string): EpssScore | undefined;
}

export interface EpssLoad {
  table: EpssTable;
  /** Rows skipped as malformed. */
  skipped: number;
  diagnostics: Diagnostic[];
}

/**
 * Numeric key of `CVE-YYYY-NNNN…` (4 to 8 digits) in `text` from `from` to `to`, or -1 when it is not one:
 * read by character codes (no regular expression, no substring), as it runs once per row of the file.
 */
function cveKeyIn(text: string, from: number, to: number): number {
  const n = to - from;
  if (n < 13 || n > 17) return -1;
  if (
    text.charCodeAt(from) !== 67 || // C
    text.charCodeAt(from + 1) !== 86 || // V
    text.charCodeAt(from + 2) !== 69 || // E
    text.charCodeAt(from + 3) !== 45 || // -
    text.charCodeAt(from + 8) !== 45
  )
    return -1;
  let year = 0;
  for (let i = from + 4; i < from + 8; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    year = year * 10 + d;
  }
  let num = 0;
  for (let i = from + 9; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    num = num * 10 + d;
  }
  return year * 1e8 + num;
}

/** Powers of ten that are exact doubles (10^0 … 10^15). */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The number text[a, b) spells, as Number() reads it; NaN when empty. A plain
 * decimal (`0.181260000`: digits and at most one point, at most 15 digits) is
 * read from its character codes, its digits as an integer divided by a power
 * of ten: both are exact doubles, so the only rounding is the division's, which
 * gives the double nearest the decimal, as Number() does. Anything else (a
 * sign, an exponent, spaces, more digits) goes to Number().
 */
function unitNumber(text: string, a: number, b: number): number {
  if (a >= b) return NaN;
  let digits = 0;
  let int = 0;
  let point = -1;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      int = int * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) point = i;
    else return Number(text.slice(a, b));
  }
  if (digits === 0 || digits > 15) return Number(text.slice(a, b));
  return point < 0 ? int : int / (POW10[b - point - 1] as number);
}

/** Numeric key of a CVE ID, or undefined when it is not one. */
export function cveKey(id: string): number | undefined {
  const k = cveKeyIn(id, 0, id.length);
  return k < 0 ? undefined : k;
}

class SortedEpss implements EpssTable {
  modelVersion?: string;
  scoreDate?: string;
  constructor(
    private readonly keys: Float64Array,
    private readonly scores: Float64Array,
    private readonly percentiles: Float64Array,
  ) {}
  get size(): number {
    return this.keys.length;
  }
  get(cve: string): EpssScore | undefined {
    const k = cveKey(cve);
    if (k === undefined) return undefined;
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.keys[mid] as number;
      if (v === k) return this.decoded(mid);
      if (v < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
  private decoded(i: number): EpssScore {
    return { score: this.scores[i] as number, percentile: this.percentiles[i] as number };
  }
}

/** Builds a table from rows (tests, and callers that have the data already). */
export function epssTableFrom(
  rows: Iterable<[string, number, number]>,
  meta: { modelVersion?: string; scoreDate?: string } = {},
): EpssTable {
  const cols: Columns = { keys: [], scores: [], pcts: [] };
  for (const [cve, s, p] of rows) {
    const k = cveKey(cve);
    if (k !== undefined) {
      cols.keys.push(k);
      cols.scores.push(s);
      cols.pcts.push(p);
    }
  }
  return finish(cols, meta);
}

/** Rows as three columns in file order (no array per row: the real file has ~360k). */
interface Columns {
  keys: number[];
  scores: number[];
  pcts: number[];
}

function finish(cols: Columns, meta: { modelVersion?: string; scoreDate?: string }): EpssTable {
  const { keys: k0, scores: s0, pcts: p0 } = cols;
  const total = k0.length;
  // Row order by key, file order among equal keys (so later duplicates win below).
  const order = orderByKey(k0);
  const keys = new Float64Array(total);
  const scores = new Float64Array(total);
  const pcts = new Float64Array(total);
  let n = 0;
  for (let j = 0; j < total; j++) {
    const i = order[j] as number;
    const k = k0[i] as number;
    if (n > 0 && keys[n - 1] === k) n--;
    keys[n] = k;
    scores[n] = s0[i] as number;
    pcts[n] = p0[i] as number;
    n++;
  }
  // Views, not copies: duplicates are rare, and a copy of ~9 MB is ~2,000 first-touched pages.
  const t = new SortedEpss(keys.subarray(0, n), scores.subarray(0, n), pcts.subarray(0, n));
  if (meta.modelVersion) t.modelVersion = meta.modelVersion;
  if (meta.scoreDate) t.scoreDate = meta.scoreDate;
  return t;
}

const RADIX = 1 << 14;

/**
 * Row indices ordered by CVE key, stably: a least-significant-digit radix sort
 * in three passes of 14 bits, over the number (< 10^8 < 2^27) and then the
 * year (< 10^4), each pass a counting sort. The file is in no useful order;
 * a comparison sort of its ~360k rows took ~100 ms, this a few.
 */
function orderByKey(keys: readonly number[]): Uint32Array {
  const n = keys.length;
  const num = new Uint32Array(n);
  const year = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    const lo = k % 1e8;
    num[i] = lo;
    year[i] = (k - lo) / 1e8;
  }
  let from = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  let to = new Uint32Array(n);
  const count = new Uint32Array(RADIX + 1);
  const passes: [Uint32Array, number][] = [
    [num, 0],
    [num, 14],
    [year, 0],
  ];
  for (const [digits, shift] of passes) {
    count.fill(0);
    for (let j = 0; j < n; j++) {
      const d = ((digits[from[j] as number] as number) >>> shift) & (RADIX - 1);
      count[d + 1] = (count[d + 1] as number) + 1;
    }
    for (let d = 0; d < RADIX; d++) count[d + 1] = (count[d + 1] as number) + (count[d] as number);
    for (let j = 0; j < n; j++) {
      const i = from[j] as number;
      const d = ((digits[i] as number) >>> shift) & (RADIX - 1);
      to[count[d] as number] = i;
      count[d] = (count[d] as number) + 1;
    }
    [from, to] = [to, from];
  }
  return from;
}

export interface EpssReadOptions {
  /** Name used in diagnostics (default: the path). */
  name?: string;
  signal?: AbortSignal;
  /** Overrides of EPSS_LIMITS (tests). */
  limits?: Partial<typeof EPSS_LIMITS>;
  /** The input is plain CSV, not gzip (default: detected from the magic bytes). */
  gzip?: boolean;
}

/** Reads EPSS scores from a `.csv.gz` (or plain `.csv`) file. */
export async function readEpss(path: string, opts: EpssReadOptions = {}): Promise<EpssLoad> {
  const { open } = await import('node:fs/promises');
  let gz = opts.gzip;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      const maxC = opts.limits?.maxCompressedBytes ?? EPSS_LIMITS.maxCompressedBytes;
      if (st.size > maxC)
        throw new PalisadeError(
          'E_LIMIT',
          `${path} is ${st.size} bytes, over the ${maxC}-byte limit for EPSS files`,
        );
      if (gz === undefined) {
        const head = Buffer.alloc(2);
        await fh.read(head, 0, 2, 0);
        gz = head[0] === 0x1f && head[1] === 0x8b;
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PalisadeError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO',
      `cannot read EPSS file ${path}: ${errorMessage(err)}`,
      {
        cause: err,
        ...(code === 'ENOENT'
          ? { hint: 'download it first (downloadEnrichment), or point to an existing epss_scores.csv.gz' }
          : {}),
      },
    );
  }
  return parseEpssStream(createReadStream(path), { ...opts, gzip: gz, name: opts.name ?? path });
}

/** Parses an EPSS stream (gzip when `gzip` is true); see the module comment. */
export async function parseEpssStream(input: Readable, opts: EpssReadOptions = {}): Promise<EpssLoad> {
  const L = { ...EPSS_LIMITS, ...opts.limits };
  const name = opts.name ?? 'epss';
  const diagnostics: Diagnostic[] = [];
  let skipped = 0;
  const warn = (line: number, message: string): void => {
    skipped++;
    if (diagnostics.length < L.maxDiagnostics)
      diagnostics.push({
        code: 'EPSS_BAD_ROW',
        severity: 'warning',
        message,
        location: { file: name, line },
      });
  };
  const stream: Readable = opts.gzip === false ? input : input.pipe(createGunzip());
  input.on('error', (e) => stream.destroy(e));
  const rows: Columns = { keys: [], scores: [], pcts: [] };
  const meta: { modelVersion?: string; scoreDate?: string } = {};
  let total = 0;
  let lineNo = 0;
  let rest = '';
  let sawHeader = false;
  let overlong = false;
  const overlongLine = (): void => {
    lineNo++;
    warn(lineNo, `line longer than ${L.maxLineLength} characters`);
  };
  const onRow = (text: string, from: number, end: number): void => {
    // Fields by their commas (no split, no substrings for a well-formed row: this runs once per row).
    const c1 = text.indexOf(',', from);
    const c2 = c1 < 0 || c1 >= end ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 < 0 || c2 >= end ? -1 : text.indexOf(',', c2 + 1);
    if (c2 < 0 || c2 >= end || (c3 >= 0 && c3 < end))
      return warn(lineNo, `expected 3 fields, found ${text.slice(from, end).split(',').length}`);
    const k = cveKeyIn(text, from, c1);
    if (k < 0) return warn(lineNo, `"${text.slice(from, Math.min(c1, from + 40))}" is not a CVE ID`);
    const s = unitNumber(text, c1 + 1, c2);
    if (!(s >= 0 && s <= 1))
      return warn(lineNo, `EPSS score "${text.slice(c1 + 1, c2)}" is not a number in 0..1`);
    const p = unitNumber(text, c2 + 1, end);
    if (!(p >= 0 && p <= 1))
      return warn(lineNo, `percentile "${text.slice(c2 + 1, end)}" is not a number in 0..1`);
    if (rows.keys.length >= L.maxRows)
      throw new PalisadeError('E_LIMIT', `${name} has more than ${L.maxRows} rows`, {
        location: { file: name, line: lineNo },
      });
    rows.keys.push(k);
    rows.scores.push(s);
    rows.pcts.push(p);
  };
  // A line is text[from, to): rows are read in place, without a string per line.
  const onLine = (text: string, from: number, to: number): void => {
    lineNo++;
    const end = to > from && text.charCodeAt(to - 1) === 13 ? to - 1 : to;
    if (end === from) return;
    if (end - from > L.maxLineLength) return warn(lineNo, `line longer than ${L.maxLineLength} characters`);
    if (sawHeader && text.charCodeAt(from) !== 35) return onRow(text, from, end);
    const line = text.slice(from, end);
    if (line.startsWith('#')) {
      for (const part of line.slice(1).split(',')) {
        const i = part.indexOf(':');
        if (i < 0) continue;
        const k = part.slice(0, i).trim();
        const v = part.slice(i + 1).trim();
        if (k === 'model_version') meta.modelVersion = v;
        else if (k === 'score_date') meta.scoreDate = v;
      }
      return;
    }
    if (!sawHeader) {
      sawHeader = true;
      if (line.replace(/\s/g, '') !== 'cve,epss,percentile')
        throw new PalisadeError(
          'E_PARSE',
          `${name}:${lineNo}: expected the header "cve,epss,percentile", found "${line.slice(0, 80)}"`,
          {
            location: { file: name, line: lineNo },
          },
        );
      return;
    }
  };
  try {
    for await (const chunk of stream) {
      if (opts.signal?.aborted)
        throw new PalisadeError('E_ABORTED', 'EPSS load was cancelled', { cause: opts.signal.reason });
      const text = (chunk as Buffer).toString('latin1');
      total += text.length;
      if (total > L.maxBytes)
        throw new PalisadeError('E_ARCHIVE_BOMB', `${name} decompresses to more than ${L.maxBytes} bytes`);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        if (overlong) overlongLine();
        else if (rest === '') onLine(text, from, nl);
        else {
          const line = rest + text.slice(from, nl);
          onLine(line, 0, line.length);
        }
        rest = '';
        overlong = false;
        from = nl + 1;
      }
      if (!overlong) {
        rest += text.slice(from);
        // A line that never ends is not buffered past the bound.
        if (rest.length > L.maxLineLength) {
          overlong = true;
          rest = '';
        }
      }
    }
    if (overlong) overlongLine();
    else if (rest !== '') onLine(rest, 0, rest.length);
  } catch (err) {
    stream.destroy();
    input.destroy();
    if (err instanceof PalisadeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PalisadeError(
      code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' ? 'E_ARCHIVE_TRUNCATED' : 'E_IO',
      `${name} is not a complete gzip file: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (!sawHeader)
    throw new PalisadeError('E_PARSE', `${name} has no "cve,epss,percentile" header`, {
      location: { file: name },
    });
  if (skipped > diagnostics.length)
    diagnostics.push({
      code: 'EPSS_BAD_ROW',
      severity: 'warning',
      message: `${skipped - diagnostics.length} more malformed rows not listed`,
      location: { file: name },
    });
  return { table: finish(rows, meta), skipped, diagnostics };
}
