/**
 * RE2 regular expressions (Go's regexp syntax, linear-time matching) via re2js,
 * with a bounded compile cache and Go's ReplaceAll template expansion.
 */
import { RE2JS } from 're2js';

export const MAX_PATTERN_LENGTH = 4096;
export const MAX_REGEX_INPUT = 1 << 20;

export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexError';
  }
}

const cache = new Map<string, RE2JS>();

export function compileRegex(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new RegexError(
      `error parsing regexp: expression too large (${pattern.length} > ${MAX_PATTERN_LENGTH} characters)`,
    );
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new RegexError(msg.startsWith('error parsing regexp') ? msg : `error parsing regexp: ${msg}`);
  }
  if (cache.size >= 512) cache.clear();
  cache.set(pattern, re);
  return re;
}

function checkInput(input: string): void {
  if (input.length > MAX_REGEX_INPUT)
    throw new RegexError(`regex input too large (${input.length} characters)`);
}

/** regexp.Match: unanchored search. */
export function regexTest(pattern: string, input: string): boolean {
  checkInput(input);
  return compileRegex(pattern).test(input);
}

/**
 * Go's Regexp.Expand template: $1, ${1}, $name, ${name}; $$ is a literal $.
 * A name is the longest run of letters, digits and underscores; unknown names expand to "".
 */
function expand(template: string, groups: (string | undefined)[], named: Record<string, number>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      // Malformed: Go copies the '$' literally.
      out += '$';
      i++;
      continue;
    }
    let idx: number | undefined;
    if (/^[0-9]+$/.test(name)) idx = Number(name);
    else idx = named[name];
    if (idx !== undefined && idx < groups.length) out += groups[idx] ?? '';
    i = end;
  }
  return out;
}

/** Regexp.ReplaceAll (literal=false expands $ templates) / ReplaceAllLiteral. */
export function regexReplaceAll(
  pattern: string,
  input: string,
  replacement: string,
  literal: boolean,
): string {
  checkInput(input);
  const re = compileRegex(pattern);
  const groupCount = re.groupCount();
  const named = re.namedGroups();
  return re.matcher(input).replaceAll((...args: unknown[]) => {
    if (literal) return replacement;
    const groups = args.slice(0, groupCount + 1).map((g) => (typeof g === 'string' ? g : undefined));
    return expand(replacement, groups, named);
  });
}
