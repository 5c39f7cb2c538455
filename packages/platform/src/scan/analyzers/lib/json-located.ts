/**
 * A JSON parser that also records where each object and array starts and
 * ends (1-based lines), which lockfile analyzers report as package locations
 * the way Trivy does (its x/json decoder records the line of the opening and
 * closing brace of each object).
 *
 * Values come out as plain JS values, as JSON.parse would give them (duplicate
 * keys: the last one wins). Hostile input is bounded: nesting deeper than
 * `maxDepth` is an error, not a stack overflow.
 */
import type { ParseFailure } from './file-analyzer.js';

export interface LineRange {
  startLine: number;
  endLine: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line} column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

export interface LocatedJson {
  value: JsonValue;
  /** Line range of an object or array value. */
  rangeOf(value: object): LineRange | undefined;
}

const DEFAULT_MAX_DEPTH = 512;

/** Parses JSON text (a leading BOM is skipped); throws JsonSyntaxError with a line. */
export function parseJsonLocated(text: string, maxDepth = DEFAULT_MAX_DEPTH): LocatedJson {
  const ranges = new WeakMap<object, LineRange>();
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = 0;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, line, pos - lineStart + 1);
  };

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) pos++;
      else if (c === 0x0a) {
        pos++;
        line++;
        lineStart = pos;
      } else return;
    }
  };

  const parseString = (): string => {
    // pos is at the opening quote
    const start = pos + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      if (i >= text.length) {
        pos = i;
        return fail('unterminated string');
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) {
        pos = i;
        return fail('control character in string');
      }
      i++;
    }
    const raw = text.slice(start, i);
    pos = i + 1;
    if (!escaped) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      pos = start;
      return fail('invalid escape in string');
    }
  };

  const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const parseValue = (depth: number): JsonValue => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    skipWs();
    const c = text.charCodeAt(pos);
    if (c === 0x7b) {
      const startLine = line;
      pos++;
      const obj: JsonObject = {};
      skipWs();
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        ranges.set(obj, { startLine, endLine: line });
        return obj;
      }
      for (;;) {
        skipWs();
        if (text.charCodeAt(pos) !== 0x22) fail('expected a string key');
        const key = parseString();
        skipWs();
        if (text.charCodeAt(pos) !== 0x3a) fail("expected ':'");
        pos++;
        const v = parseValue(depth + 1);
        if (key === '__proto__')
          Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true });
        else obj[key] = v;
        skipWs();
        const d = text.charCodeAt(pos);
        if (d === 0x2c) {
          pos++;
          continue;
        }
        if (d === 0x7d) {
          pos++;
          ranges.set(obj, { startLine, endLine: line });
          return obj;
        }
        fail(pos >= text.length ? 'unexpected end of input' : "expected ',' or '}'");
      }
    }
    if (c === 0x5b) {
      const startLine = line;
      pos++;
      const arr: JsonValue[] = [];
      skipWs();
      if (text.charCodeAt(pos) === 0x5d) {
        pos++;
        ranges.set(arr, { startLine, endLine: line });
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        const d = text.charCodeAt(pos);
        if (d === 0x2c) {
          pos++;
          continue;
        }
        if (d === 0x5d) {
          pos++;
          ranges.set(arr, { startLine, endLine: line });
          return arr;
        }
        fail(pos >= text.length ? 'unexpected end of input' : "expected ',' or ']'");
      }
    }
    if (c === 0x22) return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    numberRe.lastIndex = pos;
    const m = numberRe.exec(text);
    if (m) {
      pos += m[0].length;
      return Number(m[0]);
    }
    return fail(pos >= text.length ? 'unexpected end of input' : 'unexpected character');
  };

  const value = parseValue(0);
  skipWs();
  if (pos < text.length) fail('unexpected data after the top-level value');
  return { value, rangeOf: (v) => ranges.get(v) };
}

/**
 * parseJsonLocated for parsers that report rather than throw: a syntax error
 * or a top level that is not an object comes back as a ParseFailure.
 */
export function parseJsonObjectLocated(
  text: string,
): { ok: true; root: JsonObject; located: LocatedJson } | ParseFailure {
  let located: LocatedJson;
  try {
    located = parseJsonLocated(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, message: err.message, line: err.line };
    throw err;
  }
  const root = located.value;
  if (!isJsonObject(root)) return { ok: false, message: 'not a JSON object' };
  return { ok: true, root, located };
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value of `key` when it is an object, else undefined. */
export function objectField(obj: JsonObject, key: string): JsonObject | undefined {
  const v = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  return isJsonObject(v) ? v : undefined;
}

/** The value of `key` when it is a string, else undefined. */
export function stringField(obj: JsonObject, key: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A `{name: "range"}` map (dependencies, devDependencies…); non-string values are dropped. */
export function stringMap(obj: JsonObject, key: string): Map<string, string> {
  const out = new Map<string, string>();
  const m = objectField(obj, key);
  if (!m) return out;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string') out.set(k, v);
  return out;
}
