/**
 * Tables for the schemes no tool on this machine can check (Go, RubyGems, NuGet,
 * Composer) and for the edges of the others. Expected values come from each
 * ecosystem's own tests and documentation, named per table.
 */
import { describe, expect, it } from 'vitest';
import { apk, isValidApk } from './apk.js';
import { composer, normalizeComposer, phpVersionCompare } from './composer.js';
import { deb } from './deb.js';
import { go, isIncompatible, isPseudoVersion } from './go.js';
import { maven } from './maven.js';
import { isNpmRange, satisfiesNpm } from './npm-range.js';
import { nuget } from './nuget.js';
import { rpm, rpmvercmp } from './rpm.js';
import { rubygems } from './rubygems.js';
import { compareVersions, type VersionScheme } from './scheme.js';
import { npm, semver } from './semver.js';

/** Checks that each list is strictly ascending (every pair, both ways). */
function expectAscending(scheme: VersionScheme, versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      const a = versions[i] ?? '';
      const b = versions[j] ?? '';
      expect(compareVersions(scheme, a, b), `${scheme.name}: ${a} vs ${b}`).toBe(Math.sign(i - j));
    }
  }
}

function expectEqual(scheme: VersionScheme, pairs: [string, string][]): void {
  for (const [a, b] of pairs) expect(compareVersions(scheme, a, b), `${scheme.name}: ${a} = ${b}`).toBe(0);
}

function expectInvalid(scheme: VersionScheme, versions: string[]): void {
  for (const v of versions) expect(scheme.parse(v), `${scheme.name}: ${JSON.stringify(v)}`).toBeUndefined();
}

describe('Go module versions (golang.org/x/mod/semver rules)', () => {
  it('orders releases, pre-releases and pseudo-versions', () => {
    expectAscending(go, [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.1.0',
      'v1.0.0-alpha',
      'v1.0.0-alpha.1',
      'v1.0.0-beta',
      'v1.0.0-rc.1',
      'v1.0.0',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4',
      'v2.0.0-rc.1.0.20200101000000-abcdefabcdef',
      'v2.0.0',
      'v2.0.1',
    ]);
  });

  it('reads OSV spellings without v, shorthands and +incompatible', () => {
    expectEqual(go, [
      ['1.2.3', 'v1.2.3'],
      ['v1', 'v1.0.0'],
      ['v1.2', 'v1.2.0'],
      ['v2.0.0+incompatible', 'v2.0.0'],
      ['v1.0.0+meta', 'v1.0.0'],
    ]);
    expect(isIncompatible('v2.3.4+incompatible')).toBe(true);
    expect(isIncompatible('v2.3.4')).toBe(false);
  });

  it('tells pseudo-versions from releases', () => {
    for (const v of [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.3-pre.0.20191109021931-daa7c04131f5',
      'v0.0.0-20191109021931-daa7c04131f5+incompatible',
    ])
      expect(isPseudoVersion(v), v).toBe(true);
    for (const v of [
      'v1.2.3',
      'v1.2.3-pre',
      'v1.2.3-20191109021931-daa7c04131f5',
      'v0.0.0-2019110902193-daa7c04131f5',
    ])
      expect(isPseudoVersion(v), v).toBe(false);
  });

  it('refuses what the go command refuses', () => {
    expectInvalid(go, [
      '',
      'v',
      'v01.2.3',
      'v1.02.3',
      'v1.2.03',
      'v1.2-pre',
      'v1+meta',
      'v1.2.3-01',
      'v1.2.3-',
      'latest',
    ]);
  });
});

describe('RubyGems versions (rubygems test_gem_version.rb)', () => {
  it('orders as Gem::Version#<=> does', () => {
    expectAscending(rubygems, [
      '0.0.0',
      '1.0.a',
      '1.0',
      '1.8.2.a',
      '1.8.2.a9',
      '1.8.2.a10',
      '1.8.2.b',
      '1.8.2',
    ]);
    expectAscending(rubygems, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ]);
    expectAscending(rubygems, ['5.a', '5.0.0.rc2', '5.x']);
  });

  it('drops trailing zeros and reads blank and surrounding white space', () => {
    expectEqual(rubygems, [
      ['1.0', '1.0.0'],
      ['', '0'],
      ['1.2.b1', '1.2.b.1'],
      ['0.beta.1', '0.0.beta.1'],
      [' 1.0\n', '1.0'],
      ['1.0.a.0', '1.a'],
    ]);
  });

  it('refuses malformed versions', () => {
    expectInvalid(rubygems, ['junk', '1.0\n2.0', '1..0', '1.0-', '-1', '1.0+build', 'a1']);
  });
});

describe('NuGet versions (NuGet.Versioning)', () => {
  it('orders numbers, four parts, pre-releases and numeric labels as VersionComparer.Default does', () => {
    expectAscending(nuget, [
      '0.9',
      '1.0.0-1',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.0.1',
      '1.0.1',
      '2',
    ]);
  });

  it('ignores metadata and the case of labels, pads missing numbers', () => {
    expectEqual(nuget, [
      ['1.0', '1.0.0.0'],
      ['1', '1.0.0'],
      ['1.0.0-BETA', '1.0.0-beta'],
      ['1.0.0+build.7', '1.0.0'],
      ['01.002.0', '1.2.0'],
      [' 1.0.0 ', '1.0.0'],
    ]);
    // A label is numeric when it parses as a 32-bit integer: -1 is, 2147483648 is not.
    expectAscending(nuget, ['1.0.0--1', '1.0.0-0', '1.0.0-2147483647', '1.0.0-2147483648']);
  });

  it('refuses what NuGetVersion.TryParse refuses', () => {
    expectInvalid(nuget, [
      '',
      'a.b',
      '1.0.0.0.0',
      '1.0.0-',
      '1.0.0+',
      '1.0.0-beta..1',
      '1.0.0-01',
      '2147483648.0',
      '1.0.0-a+b+c',
    ]);
  });
});

describe('Composer versions (composer/semver VersionParserTest, PHP version_compare)', () => {
  it('normalizes as VersionParser::normalize does', () => {
    const cases: [string, string][] = [
      ['1.0.0', '1.0.0.0'],
      ['1.2.3.4', '1.2.3.4'],
      ['1.0.0RC1dev', '1.0.0.0-RC1-dev'],
      ['1.0.0-rC15-dev', '1.0.0.0-RC15-dev'],
      ['1.0.0.RC.15-dev', '1.0.0.0-RC15-dev'],
      ['1.0.0-rc1', '1.0.0.0-RC1'],
      ['1.0.0.pl3-dev', '1.0.0.0-patch3-dev'],
      ['1.0-dev', '1.0.0.0-dev'],
      ['0', '0.0.0.0'],
      ['10.4.13-beta', '10.4.13.0-beta'],
      ['10.4.13beta2', '10.4.13.0-beta2'],
      ['10.4.13beta.2', '10.4.13.0-beta2'],
      ['10.4.13-b', '10.4.13.0-beta'],
      ['10.4.13-b5', '10.4.13.0-beta5'],
      ['v1.0.0', '1.0.0.0'],
      ['2010.01', '2010.01.0.0'],
      ['2010.01.02', '2010.01.02.0'],
      ['v20100102', '20100102'],
      ['2010-01-02', '2010.01.02'],
      ['2010-01-02.5', '2010.01.02.5'],
      ['20100102-203040', '20100102.203040'],
      ['20100102203040-10', '20100102203040.10'],
      ['20100102-203040-p1', '20100102.203040-patch1'],
      ['1.x-dev', '1.9999999.9999999.9999999-dev'],
      ['1.0.0-beta.5+foo', '1.0.0.0-beta5'],
      ['1.0.0+foo', '1.0.0.0'],
      ['1.0.0-alpha.3.1+foo', '1.0.0.0-alpha3.1'],
      ['1.0.0-alpha-2.1-3+foo', '1.0.0.0-alpha2.1-3'],
      ['1.0.0+foo as 2.0', '1.0.0.0'],
      ['1.0.0@beta', '1.0.0.0'],
    ];
    for (const [input, want] of cases) expect(normalizeComposer(input), input).toBe(want);
  });

  it('refuses what normalize refuses, and branches', () => {
    expectInvalid(composer, [
      '',
      'a',
      '1.0.0-meh',
      '1.0.0.0.0',
      'feature-foo',
      '1.0.0+foo bar',
      'dev-master',
      'master',
    ]);
  });

  it('orders stabilities as version_compare does: dev < alpha < beta < RC < release < patch', () => {
    expectAscending(composer, [
      '1.0.0-dev',
      '1.0.0-alpha1',
      '1.0.0-alpha2',
      '1.0.0-beta',
      '1.0.0-beta2',
      '1.0.0-RC1',
      '1.0.0',
      '1.0.0-patch1',
      '1.0.1',
      '1.1.x-dev',
      '2.0',
    ]);
    expectEqual(composer, [
      ['v2.0', '2.0.0.0'],
      ['1.0.0-rc1', '1.0.0.0-RC1'],
    ]);
  });

  it('matches version_compare on raw strings', () => {
    const cases: [string, string, number][] = [
      ['1.0', '1.0.0', -1],
      ['1.0.0', '1.0.0', 0],
      ['1.0rc1', '1.0', -1],
      ['1.0pl1', '1.0', 1],
      ['1.0-dev', '1.0-alpha', -1],
      ['1.0.0-foo', '1.0.0-dev', -1],
      ['1.0a', '1.0b', -1],
      ['1.0_1', '1.0.1', 0],
      ['1.10', '1.9', 1],
    ];
    for (const [a, b, want] of cases) expect(phpVersionCompare(a, b), `${a} vs ${b}`).toBe(want);
  });
});

describe('edges of the tool-checked schemes', () => {
  it('SemVer compares numbers past 2^53 exactly (node-semver refuses them; npm versions are held to its limit)', () => {
    expect(compareVersions(semver, '9007199254740993.0.0', '9007199254740992.0.0')).toBe(1);
    expect(compareVersions(semver, '1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(1);
    expect(npm.parse('9007199254740992.0.0')).toBeUndefined();
    expect(npm.parse('9007199254740991.0.0')).toBeDefined();
  });

  it("npm's loose syntax, quirks included", () => {
    expect(npm.parse('1.2.34.x')).toMatchObject({ major: '1', minor: '2', patch: '3', pre: ['4', 'x'] });
    expect(npm.parse('=v 1.2.3beta')).toMatchObject({ patch: '3', pre: ['beta'] });
    expect(npm.parse('1.2.3-')).toMatchObject({ pre: ['-'] });
    expect(semver.parse('1.2.3beta')).toBeUndefined();
  });

  it('npm ranges: as semver.satisfies, false for malformed input', () => {
    expect(satisfiesNpm('1.2.3', '^1.0.0')).toBe(true);
    expect(satisfiesNpm('2.0.0-rc.1', '^1.0.0 || >=2.0.0-rc.0 <2.0.0')).toBe(true);
    expect(satisfiesNpm('1.3.0-rc.1', '^1.0.0')).toBe(false);
    expect(satisfiesNpm('1.2.3', 'not a range')).toBe(false);
    expect(isNpmRange('not a range')).toBe(false);
    expect(isNpmRange('>=1.2.7 <1.3.0')).toBe(true);
  });

  it('apk: validity as apk-tools 2.14/3 validates, order of suffixes, hashes and revisions', () => {
    for (const v of ['1.0', '1.0-r1', '1.0_alpha1', '1.0b_p2-r3', '2.25b-r6'])
      expect(isValidApk(v), v).toBe(true);
    for (const v of ['1.0-', '1.0_foo', '1.0ab', '1.0-r1a', '1.0-x', '1.0__'])
      expect(isValidApk(v), v).toBe(false);
    expectAscending(apk, [
      '1.0_alpha',
      '1.0_beta2',
      '1.0_rc1',
      '1.0',
      '1.0-r1',
      '1.0~0ab',
      '1.0_p1',
      '1.0a',
      '1.0.1',
    ]);
    // apk-tools' own test data: a component with a leading zero compares as a string.
    expectAscending(apk, ['8.2.0015', '8.2.002', '8.2.1']);
    expect(isValidApk('1.0~abc')).toBe(true);
    expect(isValidApk('a')).toBe(false);
    expect(apk.parse('')).toBeUndefined();
  });

  it('deb: dpkg errors are not versions, dpkg warnings still compare', () => {
    expectInvalid(deb, ['', ' ', '1:', 'a:1.0', '-1:1.0', '1.0-', '1.0 1', '2147483648:1.0', ':1.0']);
    expect(compareVersions(deb, 'abc', '1.0')).toBe(1); // dpkg warns "does not start with digit" and compares
    expect(compareVersions(deb, '+1:2.0', '1:2.0')).toBe(0); // strtol takes the sign
    // Checked with dpkg --compare-versions.
    expectAscending(deb, ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0-1', '1.0a', '1.0+', '1:0.1']);
  });

  it('rpm: EVR split as rpmverParse splits it; tilde and caret', () => {
    expect(rpm.parse('1:2.3-4.el9')).toEqual({ epoch: '1', version: '2.3', release: '4.el9' });
    expect(rpm.parse('2.3-4-5')).toEqual({ epoch: '0', version: '2.3-4', release: '5' });
    expect(rpm.parse('a:1')).toEqual({ epoch: '0', version: 'a:1', release: undefined });
    expect(rpm.parse('')).toBeUndefined();
    // Checked with rpm.vercmp.
    expectAscending(rpm, ['1.0~rc1', '1.0', '1.0-1', '1.0^git1', '1.0.1', '1:0.1']);
    expect(rpmvercmp('1.0', '1_0')).toBe(0);
  });

  it('maven: qualifier order and equivalences (ComparableVersion)', () => {
    expectAscending(maven, [
      '1-alpha-1',
      '1-beta-1',
      '1-milestone-1',
      '1-rc-1',
      '1-snapshot',
      '1',
      '1-sp',
      '1-abc',
      '1-1',
      '1.1',
    ]);
    expectEqual(maven, [
      ['1', '1.0.0'],
      ['1-ga', '1'],
      ['1-final', '1.0'],
      ['1a1', '1-alpha-1'],
      ['1-cr1', '1-rc1'],
      ['1.0-RC1', '1.0-rc1'],
    ]);
  });
});
