/**
 * Alpine package versions, ordered as apk-tools (2.14 / 3.x, the apk of
 * current Alpine releases) orders them: `digit{.digit}…{letter}{_suffix{#}}…
 * {~hash}{-r#}` read as a stream of typed tokens, compared token by token while
 * the token kinds agree:
 *
 * - numbers by value, except that a component after the first with a leading
 *   zero compares as a string (`1.02` < `1.2`, `8.2.0015` < `8.2.002`);
 * - a letter by its code; suffixes in the order `_alpha` < `_beta` < `_pre` <
 *   `_rc` < (none) < `_cvs` < `_svn` < `_git` < `_hg` < `_p`; `~hash` as a string;
 *   the revision `-rN` by value;
 * - when the kinds differ, a pre-release suffix sorts first, then the version
 *   whose next token comes earlier in the grammar is the newer (a further
 *   `.digit` beats a letter, which beats a suffix, … which beats the end, and an
 *   invalid token sorts before everything).
 *
 * apk compares any string; `parseApk` takes every non-empty string, and
 * `isValidApk` says whether apk-tools' own validator accepts it. Numbers are
 * compared exactly, where apk-tools' uint64 would wrap past 2^64.
 */
import {
  MAX_VERSION_LENGTH,
  compareDigits,
  compareStrings,
  isDigitCode,
  type VersionScheme,
} from './scheme.js';

const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix ranks; NONE (5) is the release itself. */
const SUFFIXES: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHex(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** The token under the cursor: its kind, its text and (for suffixes) its rank. */
class Tokens {
  token = INITIAL_DIGIT;
  value = '';
  suffix = 0;
  private pos = 0;

  constructor(private readonly s: string) {
    this.digits();
  }

  private run(pred: (c: number) => boolean): string {
    const start = this.pos;
    while (this.pos < this.s.length && pred(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private digits(): void {
    this.value = this.run(isDigitCode);
    if (this.value === '') this.token = INVALID;
  }

  /** apk-tools' token_next. */
  next(): void {
    const s = this.s;
    if (this.pos >= s.length) {
      this.token = END;
      return;
    }
    const c = s.charCodeAt(this.pos);
    const t = this.token;
    if (isLower(c)) {
      if (t > DIGIT) return this.invalid();
      this.value = s[this.pos] ?? '';
      this.token = LETTER;
      this.pos++;
    } else if (c === 46 /* . */ || isDigitCode(c)) {
      if (c === 46) {
        if (t > DIGIT) return this.invalid();
        this.pos++;
      }
      if (t === INITIAL_DIGIT || t === DIGIT) this.token = DIGIT;
      else if (t === SUFFIX) this.token = SUFFIX_NO;
      else return this.invalid();
      this.digits();
    } else if (c === 95 /* _ */) {
      if (t > SUFFIX_NO) return this.invalid();
      this.pos++;
      this.value = this.run(isLower);
      const rank = SUFFIXES[this.value];
      if (rank === undefined) return this.invalid();
      this.suffix = rank;
      this.token = SUFFIX;
    } else if (c === 126 /* ~ */) {
      if (t >= COMMIT_HASH) return this.invalid();
      this.pos++;
      this.value = this.run(isHex);
      if (this.value === '') return this.invalid();
      this.token = COMMIT_HASH;
    } else if (c === 45 /* - */) {
      if (t >= REVISION_NO || s.charCodeAt(this.pos + 1) !== 114 /* r */) return this.invalid();
      this.pos += 2;
      this.token = REVISION_NO;
      this.digits();
    } else this.invalid();
  }

  private invalid(): void {
    this.token = INVALID;
  }
}

/** apk-tools' token_cmp, for two tokens of the same kind. */
function tokenCmp(a: Tokens, b: Tokens): number {
  switch (a.token) {
    case DIGIT:
      if (a.value.charCodeAt(0) === 48 || b.value.charCodeAt(0) === 48)
        return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.value, b.value);
    case LETTER:
      return compareStrings(a.value, b.value);
    case SUFFIX:
      return a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0;
    default:
      return compareStrings(a.value, b.value);
  }
}

/** Is the text a well-formed apk version (apk-tools' apk_version_validate)? */
export function isValidApk(text: string): boolean {
  if (text.length > MAX_VERSION_LENGTH) return false;
  const t = new Tokens(text);
  while (t.token < END) t.next();
  return t.token === END;
}

/** apk orders any string; undefined only for the empty or overlong string. */
export function parseApk(text: string): string | undefined {
  return text === '' || text.length > MAX_VERSION_LENGTH ? undefined : text;
}

/** apk-tools' apk_version_compare. */
export function compareApk(a: string, b: string): number {
  const ta = new Tokens(a);
  const tb = new Tokens(b);
  for (; ta.token === tb.token && ta.token < END; ta.next(), tb.next()) {
    const r = tokenCmp(ta, tb);
    if (r !== 0) return r;
  }
  if (ta.token === tb.token) return 0;
  // Equal so far: a pre-release suffix sorts first, then the one that goes on is newer.
  if (ta.token === SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
  if (tb.token === SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
  return ta.token > tb.token ? -1 : 1;
}

export const apk: VersionScheme<string> = { name: 'apk', parse: parseApk, compare: compareApk };
