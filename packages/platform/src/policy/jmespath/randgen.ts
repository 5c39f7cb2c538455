/**
 * Random strings matching a regular expression (Kyverno's random() uses
 * goregen). Supports literals, escapes (\d \w \s and escaped punctuation),
 * character classes with ranges and negation, '.', groups, alternation and the
 * quantifiers * + ? {n} {n,} {n,m}; anchors are ignored. Unbounded repeats
 * produce at most 10 extra items; output is capped.
 */
import { JmesPathRuntimeError } from './errors.js';

const MAX_OUTPUT = 64 * 1024;
const UNBOUNDED_EXTRA = 10;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const DIGITS = [...'0123456789'];
const WORD = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'];
const SPACE = [' ', '\t', '\n', '\r', '\f', '\v'];

type Node =
  | { t: 'set'; chars: string[] }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number };

function fail(pattern: string, why: string): never {
  throw new JmesPathRuntimeError(`error parsing regexp: ${why}: \`${pattern}\``);
}

function parse(pattern: string): Node {
  let i = 0;
  const escapeSet = (c: string): string[] => {
    switch (c) {
      case 'd':
        return DIGITS;
      case 'w':
        return WORD;
      case 's':
        return SPACE;
      case 'D':
        return PRINTABLE.filter((x) => !DIGITS.includes(x));
      case 'W':
        return PRINTABLE.filter((x) => !WORD.includes(x));
      case 'S':
        return PRINTABLE.filter((x) => !SPACE.includes(x));
      case 'n':
        return ['\n'];
      case 't':
        return ['\t'];
      default:
        return [c];
    }
  };
  const parseClass = (): Node => {
    i++; // [
    let negate = false;
    if (pattern[i] === '^') {
      negate = true;
      i++;
    }
    const chars = new Set<string>();
    let first = true;
    while (i < pattern.length && (pattern[i] !== ']' || first)) {
      first = false;
      let c = pattern[i] as string;
      if (c === '\\') {
        i++;
        const e = pattern[i];
        if (e === undefined) fail(pattern, 'trailing backslash at end of expression');
        for (const x of escapeSet(e)) chars.add(x);
        i++;
        continue;
      }
      if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
        const end = pattern[i + 2] as string;
        const a = c.codePointAt(0) ?? 0;
        const b = end.codePointAt(0) ?? 0;
        if (b < a) fail(pattern, 'invalid character class range');
        if (b - a > 0x10000) fail(pattern, 'character class range too large');
        for (let x = a; x <= b; x++) chars.add(String.fromCodePoint(x));
        i += 3;
        continue;
      }
      chars.add(c);
      i++;
      c = '';
    }
    if (pattern[i] !== ']') fail(pattern, 'missing closing ]');
    i++;
    const list = negate ? PRINTABLE.filter((x) => !chars.has(x)) : [...chars];
    if (list.length === 0) fail(pattern, 'empty character class');
    return { t: 'set', chars: list };
  };
  const parseAlt = (): Node => {
    const options: Node[] = [parseSeq()];
    while (pattern[i] === '|') {
      i++;
      options.push(parseSeq());
    }
    return options.length === 1 ? (options[0] as Node) : { t: 'alt', options };
  };
  const parseSeq = (): Node => {
    const items: Node[] = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      let atom: Node;
      const c = pattern[i] as string;
      if (c === '(') {
        i++;
        if (pattern.startsWith('?:', i)) i += 2;
        else if (pattern.startsWith('?P<', i) || pattern.startsWith('?<', i)) i = pattern.indexOf('>', i) + 1;
        atom = parseAlt();
        if (pattern[i] !== ')') fail(pattern, 'missing closing )');
        i++;
      } else if (c === '[') atom = parseClass();
      else if (c === '.') {
        atom = { t: 'set', chars: PRINTABLE };
        i++;
      } else if (c === '^' || c === '$') {
        i++;
        continue;
      } else if (c === '\\') {
        const e = pattern[i + 1];
        if (e === undefined) fail(pattern, 'trailing backslash at end of expression');
        atom = { t: 'set', chars: escapeSet(e) };
        i += 2;
      } else {
        atom = { t: 'set', chars: [c] };
        i++;
      }
      // quantifiers
      for (;;) {
        const q = pattern[i];
        if (q === '*') atom = { t: 'rep', node: atom, min: 0, max: UNBOUNDED_EXTRA };
        else if (q === '+') atom = { t: 'rep', node: atom, min: 1, max: 1 + UNBOUNDED_EXTRA };
        else if (q === '?') atom = { t: 'rep', node: atom, min: 0, max: 1 };
        else if (q === '{') {
          const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(pattern.slice(i));
          if (!m) break;
          const min = Number(m[1]);
          const max = m[2] === undefined ? min : m[3] === '' ? min + UNBOUNDED_EXTRA : Number(m[3]);
          if (min > 1000 || max > 1000 || max < min) fail(pattern, 'invalid repeat count');
          atom = { t: 'rep', node: atom, min, max };
          i += m[0].length - 1;
        } else break;
        i++;
      }
      items.push(atom);
    }
    return { t: 'seq', items };
  };
  const node = parseAlt();
  if (i < pattern.length) fail(pattern, 'unexpected )');
  return node;
}

export function generateFromRegex(pattern: string, random: () => number): string {
  if (pattern.length > 4096) throw new JmesPathRuntimeError('random: pattern too long');
  const root = parse(pattern);
  let out = '';
  const pick = <T>(list: readonly T[]): T =>
    list[Math.min(list.length - 1, Math.floor(random() * list.length))] as T;
  const gen = (n: Node): void => {
    if (out.length > MAX_OUTPUT) throw new JmesPathRuntimeError('random: generated string too long');
    switch (n.t) {
      case 'set':
        out += pick(n.chars);
        return;
      case 'seq':
        for (const x of n.items) gen(x);
        return;
      case 'alt':
        gen(pick(n.options));
        return;
      case 'rep': {
        const count = n.min + Math.floor(random() * (n.max - n.min + 1));
        for (let k = 0; k < count; k++) gen(n.node);
      }
    }
  };
  gen(root);
  return out;
}
