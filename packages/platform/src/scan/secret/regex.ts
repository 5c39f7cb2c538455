/**
 * Regular expressions in Go's RE2 syntax (the syntax of Trivy's rules and of
 * trivy-secret.yaml), run by re2js: a linear-time automaton, so no rule, built
 * in or user-written, can backtrack catastrophically on hostile input. Matching
 * runs over UTF-8 bytes and reports byte offsets, as Go's regexp does.
 */
import type { Matcher } from 're2js';
import { RE2JS } from 're2js';

export interface Span {
  start: number;
  end: number;
}

export interface MatchSpans {
  /** The whole match. */
  match: Span;
  /** The named group, when asked for and it took part in the match. */
  group?: Span;
}

export class GoRegexp {
  private readonly re: RE2JS;
  readonly source: string;

  private constructor(source: string, re: RE2JS) {
    this.source = source;
    this.re = re;
  }

  /** Compiles `source`; throws the re2js syntax error (callers attach a location). */
  static compile(source: string): GoRegexp {
    return new GoRegexp(source, RE2JS.compile(source));
  }

  hasGroup(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.re.namedGroups(), name);
  }

  /** True when the pattern matches anywhere in `input` (a string or UTF-8 bytes). */
  test(input: string | Uint8Array): boolean {
    return this.re.test(input);
  }

  /**
   * Every match, leftmost first, as Go's FindAllSubmatchIndex, with one
   * difference: when a group is asked for, the next search starts where that
   * group ended rather than where the whole match ended, so context that one
   * match consumed (a separator after a key) can still begin the next one, and
   * back-to-back secrets are all found. `limit` bounds the number of matches.
   */
  findAll(input: Uint8Array, group: string | undefined, limit: number): MatchSpans[] {
    const out: MatchSpans[] = [];
    const m: Matcher = this.re.matcher(input);
    const withGroup = group !== undefined && this.hasGroup(group);
    let pos = 0;
    while (out.length < limit && pos <= input.length && m.find(pos)) {
      const spans: MatchSpans = { match: { start: m.start(), end: m.end() } };
      let next = spans.match.end;
      if (withGroup) {
        const s = m.start(group);
        if (s >= 0) {
          spans.group = { start: s, end: m.end(group) };
          next = spans.group.end;
        }
      }
      out.push(spans);
      pos = next > spans.match.start ? next : spans.match.start + 1;
    }
    return out;
  }
}
