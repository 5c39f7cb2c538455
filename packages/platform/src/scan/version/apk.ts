/**
 * Alpine package versions, ordered as apk-tools orders them: Gentoo-style
 * `{digit}{.digit}…{letter}{_suffix{#}}…{-r#}` read as a stream of typed tokens
 * (digits, a letter, suffixes, the revision), compared token by token while
 * the token kinds agree. Pre-release suffixes (`_alpha`, `_beta`, `_pre`,
 * `_rc`) sort before the release, post-release ones (`_cvs`, `_svn`, `_git`,
 * `_hg`, `_p`) after it; a component with leading zeros (`1.02`) is read as a
 * fraction and sorts before any without (`1.2`). When one version runs out or
 * turns into a different kind of token, the kind decides (a revision is newer
 * than the end, a further `.digit` newer than a revision…).
 *
 * apk compares any string; `parseApk` accepts every string apk-tools' own
 * validator accepts and also the malformed ones it still orders (a version
 * with an unknown suffix orders up to the bad token). Digit runs are compared
 * by exact value, where apk-tools' C `int` would overflow past 2^31.
 */
import { MAX_VERSION_LENGTH, compareDigits, isDigitCode, type VersionScheme } from './scheme.js';

const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

/** A token value: a digit run (exact, as a string) or a small number (letter code, suffix rank, -zeros). */
type Value = number | string;

function compareValue(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareDigits(a, b);
  // A number only meets a digit run as a leading-zero count (negative) or 0.
  const n = typeof a === 'number' ? a : (b as number);
  const d = typeof a === 'string' ? a : (b as string);
  const c = n < 0 ? -1 : compareDigits(String(n), d);
  return typeof a === 'number' ? c : -c;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

class Reader {
  pos = 0;
  type = DIGIT;
  constructor(readonly s: string) {}

  /** apk-tools' next_token: the kind of token that starts at pos (consuming its separator). */
  private next(): void {
    const s = this.s;
    let n = INVALID;
    const c = this.pos < s.length ? s.charCodeAt(this.pos) : 0;
    if (c === 0) {
      n = END;
    } else if ((this.type === DIGIT || this.type === DIGIT_OR_ZERO) && isLower(c)) {
      n = LETTER;
    } else if (this.type === LETTER && isDigitCode(c)) {
      n = DIGIT;
    } else if (this.type === SUFFIX && isDigitCode(c)) {
      n = SUFFIX_NO;
    } else {
      if (c === 46 /* . */) n = DIGIT_OR_ZERO;
      else if (c === 95 /* _ */) n = SUFFIX;
      else if (c === 45 /* - */) {
        if (this.pos + 1 < s.length && s.charCodeAt(this.pos + 1) === 114 /* r */) {
          n = REVISION_NO;
          this.pos++;
        }
      }
      this.pos++;
    }
    if (n < this.type) {
      const allowed =
        (n === DIGIT_OR_ZERO && this.type === DIGIT) ||
        (n === SUFFIX && this.type === SUFFIX_NO) ||
        (n === DIGIT && this.type === LETTER);
      if (!allowed) n = INVALID;
    }
    this.type = n;
  }

  /** apk-tools' get_token: the value of the current token; advances to the next. */
  token(): Value {
    const s = this.s;
    if (this.pos >= s.length) {
      this.type = END;
      return 0;
    }
    let v: Value = 0;
    let i = this.pos;
    let nt = INVALID;
    const t = this.type;
    if (t === DIGIT_OR_ZERO && s.charCodeAt(i) === 48) {
      // Leading zeros: a fraction, ranked by the number of zeros.
      while (i < s.length && s.charCodeAt(i) === 48) i++;
      v = -(i - this.pos);
      nt = DIGIT;
    } else if (t === DIGIT_OR_ZERO || t === DIGIT || t === SUFFIX_NO || t === REVISION_NO) {
      while (i < s.length && isDigitCode(s.charCodeAt(i))) i++;
      v = i > this.pos ? s.slice(this.pos, i) : 0;
    } else if (t === LETTER) {
      v = s.charCodeAt(i);
      i++;
    } else if (t === SUFFIX) {
      const rest = s.slice(i, i + 5);
      const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p));
      const post = pre >= 0 ? -1 : POST_SUFFIXES.findIndex((p) => rest.startsWith(p));
      if (pre >= 0) {
        v = pre - PRE_SUFFIXES.length;
        i += (PRE_SUFFIXES[pre] ?? '').length;
      } else if (post >= 0) {
        v = post;
        i += (POST_SUFFIXES[post] ?? '').length;
      } else {
        this.type = INVALID;
        return -1;
      }
    } else {
      this.type = INVALID;
      return -1;
    }
    this.pos = i;
    if (this.pos >= s.length) this.type = END;
    else if (nt !== INVALID) this.type = nt;
    else this.next();
    return v;
  }
}

/** Is the text a well-formed apk version (apk-tools' apk_version_validate)? */
export function isValidApk(text: string): boolean {
  if (text.length > MAX_VERSION_LENGTH) return false;
  const r = new Reader(text);
  while (r.type !== END && r.type !== INVALID) r.token();
  return r.type === END;
}

/** apk orders any string; undefined only for the empty or overlong string. */
export function parseApk(text: string): string | undefined {
  return text === '' || text.length > MAX_VERSION_LENGTH ? undefined : text;
}

/** apk-tools' apk_version_compare. */
export function compareApk(a: string, b: string): number {
  const ra = new Reader(a);
  const rb = new Reader(b);
  let av: Value = 0;
  let bv: Value = 0;
  while (ra.type === rb.type && ra.type !== END && ra.type !== INVALID && compareValue(av, bv) === 0) {
    av = ra.token();
    bv = rb.token();
  }
  const c = compareValue(av, bv);
  if (c !== 0) return c;
  const at = ra.type;
  const bt = rb.type;
  if (at === bt) return 0;
  // Equal so far: the one that goes on is newer, unless it goes on with a pre-release suffix.
  if (at === SUFFIX && compareValue(ra.token(), 0) < 0) return -1;
  if (bt === SUFFIX && compareValue(rb.token(), 0) < 0) return 1;
  return at > bt ? -1 : bt > at ? 1 : 0;
}

export const apk: VersionScheme<string> = { name: 'apk', parse: parseApk, compare: compareApk };
