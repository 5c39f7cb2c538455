/**
 * Maven versions, ordered as Maven's ComparableVersion orders them (the
 * maven-artifact 3.8 semantics, checked against the jar on the machine):
 *
 * - the lower-cased version splits into items at `.` and `-` and at every
 *   change between digits and non-digits; a `-` or a change between digits and
 *   letters opens a nested list, so `1-rc-2` is `[1, [rc, [2]]]`;
 * - numbers compare by value; qualifiers in the order alpha (`a1`) < beta
 *   (`b1`) < milestone (`m1`) < rc = cr < snapshot < "" = ga = final = release
 *   < sp < any other qualifier, those in string order; a number is newer than
 *   a qualifier or a list, and a list newer than a qualifier;
 * - trailing zeros, empty qualifiers and empty lists are dropped from each list,
 *   so `1.0.0` = `1` = `1-ga`, and a missing item compares as "null": `1-sp` > `1`
 *   > `1-rc`.
 *
 * Every string is a Maven version. Nested lists only ever form a chain (a new
 * list is always the last item of its parent), so comparison walks the chain in
 * a loop: no recursion, linear time. Divergence: Java's Character.isDigit also
 * takes non-ASCII decimal digits as digits; here only 0-9 are.
 */
import {
  MAX_VERSION_LENGTH,
  compareDigits,
  compareStrings,
  isDigitCode,
  type VersionScheme,
} from './scheme.js';

type Item = { t: 'num'; v: string } | { t: 'str'; v: string } | { t: 'list'; items: Item[] };

export interface MavenVersion {
  readonly items: Item[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
/** comparableQualifier('') */
const RELEASE_INDEX = '5';

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i < 0 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { t: 'str', v: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, buf: string): Item {
  if (!isDigit) return stringItem(buf, false);
  let i = 0;
  while (i < buf.length - 1 && buf.charCodeAt(i) === 48) i++;
  return { t: 'num', v: buf.slice(i) };
}

function isNull(item: Item): boolean {
  if (item.t === 'num') return item.v === '0';
  if (item.t === 'str') return item.v === '';
  return item.items.length === 0;
}

/**
 * ListItem.normalize: drops null items (0, "", empty lists) from the end, passing
 * over non-null lists, up to the first non-null non-list item. One pass, no splicing.
 */
function normalize(items: Item[]): void {
  let i = items.length - 1;
  const tail: Item[] = [];
  while (i >= 0) {
    const item = items[i--] as Item;
    if (isNull(item)) continue;
    tail.push(item);
    if (item.t !== 'list') break;
  }
  if (i + 1 + tail.length === items.length) return;
  items.length = i + 1;
  for (let k = tail.length - 1; k >= 0; k--) items.push(tail[k] as Item);
}

/** ComparableVersion.parseVersion. */
export function parseMaven(text: string): MavenVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const version = text.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  const open = (): void => {
    const next: Item[] = [];
    list.push({ t: 'list', items: next });
    list = next;
    stack.push(next);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? { t: 'num', v: '0' } : parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      if (c === 45) open();
    } else if (isDigitCode(c)) {
      if (!isDigit && i > start) {
        if (list.length > 0) open();
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, version.slice(start, i)));
        start = i;
        open();
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    if (!isDigit && list.length > 0) open();
    list.push(parseItem(isDigit, version.slice(start)));
  }
  for (let s = stack.pop(); s; s = stack.pop()) normalize(s);
  return { items: root };
}

/** A non-list item against a missing one. */
function scalarToNull(item: Item): number {
  if (item.t === 'num') return item.v === '0' ? 0 : 1;
  if (item.t === 'str') return compareStrings(comparableQualifier(item.v), RELEASE_INDEX);
  return 0;
}

/** ListItem.compareTo(null), along the chain of nested lists. */
function listToNull(items: Item[]): number {
  let list: Item[] | undefined = items;
  while (list) {
    const current: Item[] = list;
    list = undefined;
    for (const item of current) {
      if (item.t === 'list') {
        list = item.items;
        break;
      }
      const r = scalarToNull(item);
      if (r !== 0) return r;
    }
  }
  return 0;
}

function itemToNull(item: Item): number {
  return item.t === 'list' ? listToNull(item.items) : scalarToNull(item);
}

/** Two items of which at most one is a list. */
function compareScalar(l: Item, r: Item): number {
  if (l.t === 'num') {
    if (r.t === 'num') return compareDigits(l.v, r.v);
    return 1; // 1.1 > 1-sp, 1.1 > 1-1
  }
  if (l.t === 'str') {
    if (r.t === 'str') return compareStrings(comparableQualifier(l.v), comparableQualifier(r.v));
    return -1; // 1.any < 1.1, 1.any < 1-1
  }
  return r.t === 'num' ? -1 : 1; // 1-1 < 1.0.x, 1-1 > 1-sp
}

export function compareMaven(a: MavenVersion, b: MavenVersion): number {
  let left = a.items;
  let right = b.items;
  for (;;) {
    let descend = false;
    const n = Math.max(left.length, right.length);
    for (let i = 0; i < n; i++) {
      const l = left[i];
      const r = right[i];
      let result: number;
      if (l === undefined) result = r === undefined ? 0 : -itemToNull(r);
      else if (r === undefined) result = itemToNull(l);
      else if (l.t === 'list' && r.t === 'list') {
        // Both are their lists' last items: go on down the chain.
        left = l.items;
        right = r.items;
        descend = true;
        break;
      } else result = compareScalar(l, r);
      if (result !== 0) return result;
    }
    if (!descend) return 0;
  }
}

export const maven: VersionScheme<MavenVersion> = { name: 'maven', parse: parseMaven, compare: compareMaven };
