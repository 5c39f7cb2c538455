/**
 * Hostile version strings (very long, thousands of segments, separators only,
 * near-misses that make regular expressions backtrack, deep Maven nesting) never
 * throw and cost time linear in their length: every scheme parses and compares
 * the same shapes at 1,000 and 4,000 characters, and the larger set may take at
 * most 10 times as long (linear is 4, quadratic 16; the best of several runs
 * keeps machine noise out). Strings over MAX_VERSION_LENGTH are refused at once.
 */
import { describe, expect, it } from 'vitest';
import { apk } from './apk.js';
import { composer, phpVersionCompare } from './composer.js';
import { deb } from './deb.js';
import { go } from './go.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { pep440, parsePep440Specifier } from './pep440.js';
import { compileAffected } from './range.js';
import { rpm, rpmSegment } from './rpm.js';
import { rubygems } from './rubygems.js';
import { MAX_VERSION_LENGTH, compareVersions, type VersionScheme } from './scheme.js';
import { npm, semver } from './semver.js';

const SCHEMES: VersionScheme[] = [
  deb,
  rpm,
  rpmSegment,
  apk,
  semver,
  npm,
  go,
  pep440,
  maven,
  rubygems,
  nuget,
  composer,
];

function half(n: number): number {
  return Math.floor(n / 2);
}

/** Shapes of hostile input at about n characters. */
function hostile(n: number): string[] {
  return [
    '1'.repeat(n),
    `${'1.'.repeat(half(n))}1`,
    `${'0.'.repeat(half(n))}0`,
    '.'.repeat(n),
    '-'.repeat(n),
    '~'.repeat(n),
    '_'.repeat(n),
    '+'.repeat(n),
    'a1'.repeat(half(n)),
    '1a.'.repeat(Math.floor(n / 3)),
    `${' '.repeat(n)}x`,
    `1${' '.repeat(n)}x`,
    `1${'.1'.repeat(half(n))}${' '.repeat(10)}x`,
    `1.2.${'3'.repeat(n)}!`,
    `1.2.3-${'a.'.repeat(half(n))}`,
    `1.2.3-${'a'.repeat(n)}+`,
    `1.0-beta${'1'.repeat(n)}x`,
    `1.0-beta${'.1'.repeat(half(n))}x`,
    `${'1-'.repeat(half(n))}1`,
    `${'1-a'.repeat(Math.floor(n / 3))}`,
    `1:${'1'.repeat(n)}-${'1'.repeat(10)}`,
    `${'1_alpha'.repeat(Math.floor(n / 7))}`,
    `1.0${'post'.repeat(Math.floor(n / 4))}`,
    `v${'0'.repeat(n)}.1.2`,
    `1.0.0-${'-'.repeat(n)}`,
    `${'1.x'.repeat(Math.floor(n / 3))}-dev`,
    `2010${'-01'.repeat(Math.floor(n / 3))}`,
    `1\u00e9\u0000${'\u2028'.repeat(n)}`,
  ];
}

/** A different string of the same shape: the last character changed, forcing full scans. */
function twin(s: string): string {
  return s.slice(0, -1) + (s.endsWith('1') ? '2' : '1');
}

function work(scheme: VersionScheme, inputs: string[]): void {
  for (const s of inputs) {
    compareVersions(scheme, s, twin(s));
    compareVersions(scheme, s, s);
  }
}

function bestOf(runs: number, f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('hostile version strings', () => {
  it('never throw, in any scheme, the PEP 440 specifier parser or range evaluation', () => {
    const all = [...hostile(1000), ...hostile(MAX_VERSION_LENGTH), 'x'.repeat(MAX_VERSION_LENGTH * 25)];
    for (const scheme of SCHEMES)
      for (const s of all) expect(() => compareVersions(scheme, s, twin(s))).not.toThrow();
    for (const s of all) {
      expect(() => parsePep440Specifier(`>=${s},<${s}`)).not.toThrow();
      expect(() => phpVersionCompare(s, twin(s))).not.toThrow();
      const c = compileAffected(
        { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: s }, { fixed: twin(s) }] }] },
        'Maven',
      );
      expect(() => c.evaluate(s)).not.toThrow();
    }
  });

  it('refuse strings over MAX_VERSION_LENGTH without reading them', () => {
    const huge = '1'.repeat(MAX_VERSION_LENGTH + 1);
    for (const scheme of SCHEMES) expect(scheme.parse(huge), scheme.name).toBeUndefined();
  });

  it.each(SCHEMES.map((s) => [s.name, s] as const))(
    '%s: time grows linearly with length',
    (_name, scheme) => {
      const small = hostile(1000);
      const large = hostile(4000);
      work(scheme, large); // warm up the JIT
      const ts = bestOf(5, () => work(scheme, small));
      const tl = bestOf(5, () => work(scheme, large));
      console.log(
        `${scheme.name}: ${ts.toFixed(2)} ms at 1,000 chars, ${tl.toFixed(2)} ms at 4,000 (x${(tl / Math.max(ts, 0.01)).toFixed(1)})`,
      );
      // Under a millisecond either way is too small to time; otherwise the growth must be sub-quadratic.
      if (tl > 1) expect(tl / Math.max(ts, 0.05)).toBeLessThan(10);
    },
  );
});
