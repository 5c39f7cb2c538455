/**
 * Small readers and message helpers shared by the controls. Readers return undefined for a missing field
 * or a field of the wrong type (null included), so a control never throws on malformed input; pod.ts
 * reports the wrong types.
 */
import type { ContainerView, Obj } from './types.js';

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function objAt(o: Obj | undefined, key: string): Obj | undefined {
  const v = o?.[key];
  return isObj(v) ? v : undefined;
}

export function boolAt(o: Obj | undefined, key: string): boolean | undefined {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function strAt(o: Obj | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

export function numAt(o: Obj | undefined, key: string): number | undefined {
  const v = o?.[key];
  return typeof v === 'number' ? v : undefined;
}

export function arrAt(o: Obj | undefined, key: string): readonly unknown[] | undefined {
  const v = o?.[key];
  return Array.isArray(v) ? v : undefined;
}

/** The string entries of a string list field (other entries are skipped). */
export function stringsAt(o: Obj | undefined, key: string): readonly string[] {
  const a = arrAt(o, key);
  if (!a) return EMPTY;
  for (const x of a) if (typeof x !== 'string') return a.filter((y): y is string => typeof y === 'string');
  return a as readonly string[];
}

const EMPTY: readonly string[] = Object.freeze([]);

/** A container's field path: spec.<group>[<index>] (for field errors). */
export function containerPath(c: ContainerView): string {
  return `spec.${c.group}[${c.index}]`;
}

/** `securityContext.<key>` of a container as an object. */
export function containerScObj(c: ContainerView, key: string): Obj | undefined {
  return objAt(c.securityContext, key);
}

/** upstream joinQuote: `"a", "b"`. */
export function joinQuote(items: readonly string[]): string {
  if (items.length === 0) return '';
  return `"${items.join('", "')}"`;
}

/** upstream pluralize. */
export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** Sorted distinct strings, as upstream's sets.NewString(...).List() gives them. */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Byte-wise string order (Go's sort.Strings on UTF-8 agrees with this for the BMP). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `container "a"` / `containers "a", "b"`. */
export function containersPhrase(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Go's %q for the ASCII range: quotes, escapes quotes, backslashes and control characters. */
export function goQuote(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\x00-\x1f\x7f]/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const esc = GO_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else {
      const code = ch.charCodeAt(0);
      out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
    }
  }
  return `${out}"`;
}
