/**
 * FIRST EPSS scores (`epss_scores-current.csv.gz`): an optional comment line
 * `#model_version:v2025.03.14,score_date:2025-08-26T00:00:00+0000`, a header
 * `cve,epss,percentile`, then one row per CVE. The file is gunzipped as a
 * stream with bounds on the decompressed size, the line length and the row
 * count; a malformed row is skipped with a counted warning naming its line.
 *
 * Scores are kept in sorted typed arrays (CVE key = year * 1e8 + number),
 * 24 bytes a row, and looked up by binary search: the ~360k rows of the
 * real file load in a few hundred milliseconds and take ~9 MB.
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

const CVE_RE = /^CVE-(\d{4})-(\d{4,8})$/;

/** Numeric key of a CVE ID, or undefined when it is not one. */
export function cveKey(id: string): number | undefined {
  const m = CVE_RE.exec(id);
  if (!m) return undefined;
  return Number(m[1]) * 1e8 + Number(m[2]);
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
  const list: [number, number, number][] = [];
  for (const [cve, s, p] of rows) {
    const k = cveKey(cve);
    if (k !== undefined) list.push([k, s, p]);
  }
  return finish(list, meta);
}

function finish(
  list: [number, number, number][],
  meta: { modelVersion?: string; scoreDate?: string },
): EpssTable {
  list.sort((a, b) => a[0] - b[0]);
  // Later duplicates win.
  const keys = new Float64Array(list.length);
  const scores = new Float64Array(list.length);
  const pcts = new Float64Array(list.length);
  let n = 0;
  for (const [k, s, p] of list) {
    if (n > 0 && keys[n - 1] === k) n--;
    keys[n] = k;
    scores[n] = s;
    pcts[n] = p;
    n++;
  }
  const t = new SortedEpss(keys.slice(0, n), scores.slice(0, n), pcts.slice(0, n));
  if (meta.modelVersion) t.modelVersion = meta.modelVersion;
  if (meta.scoreDate) t.scoreDate = meta.scoreDate;
  return t;
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
  const rows: [number, number, number][] = [];
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
  const onLine = (raw: string): void => {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    if (line.length > L.maxLineLength) return warn(lineNo, `line longer than ${L.maxLineLength} characters`);
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
    const parts = line.split(',');
    if (parts.length !== 3) return warn(lineNo, `expected 3 fields, found ${parts.length}`);
    const k = cveKey(parts[0] as string);
    if (k === undefined) return warn(lineNo, `"${(parts[0] as string).slice(0, 40)}" is not a CVE ID`);
    const s = Number(parts[1]);
    const p = Number(parts[2]);
    if (parts[1] === '' || !Number.isFinite(s) || s < 0 || s > 1)
      return warn(lineNo, `EPSS score "${parts[1]}" is not a number in 0..1`);
    if (parts[2] === '' || !Number.isFinite(p) || p < 0 || p > 1)
      return warn(lineNo, `percentile "${parts[2]}" is not a number in 0..1`);
    if (rows.length >= L.maxRows)
      throw new PalisadeError('E_LIMIT', `${name} has more than ${L.maxRows} rows`, {
        location: { file: name, line: lineNo },
      });
    rows.push([k, s, p]);
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
        else onLine(rest + text.slice(from, nl));
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
    else if (rest !== '') onLine(rest);
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
