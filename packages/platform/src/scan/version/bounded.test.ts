/**
 * Hostile version strings (very long, thousands of segments, separators only,
 * near-misses that make regular expressions backtrack, deep Maven nesting) never
 * throw, and strings over MAX_VERSION_LENGTH are refused at once. That the cost
 * grows linearly with length is measured, not asserted: `npm run bench:version`
 * times every scheme at 1,000 and 4,000 characters (docs/benchmarks.md).
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
import { hostile, twin } from './testdata/hostile.js';
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
});
