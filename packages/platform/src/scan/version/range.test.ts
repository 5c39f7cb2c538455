/**
 * OSV range evaluation: the schema's own examples and rules, then every range
 * of the real advisories in ../shared/data/vulndb/osv (Go, PyPI, crates.io,
 * AlmaLinux) checked at its own boundaries.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { KNOWN_ECOSYSTEMS, ecosystemBase, schemeForEcosystem, semverSchemeForEcosystem } from './index.js';
import {
  compileAffected,
  isAffected,
  newRangeNotes,
  type AffectedRanges,
  type OsvRangeEvent,
} from './range.js';

const semverRange = (...events: OsvRangeEvent[]): AffectedRanges => ({
  ranges: [{ type: 'SEMVER', events }],
});
const ecoRange = (...events: OsvRangeEvent[]): AffectedRanges => ({
  ranges: [{ type: 'ECOSYSTEM', events }],
});

describe('the OSV schema examples', () => {
  it('introduced 0 alone: every version is affected', () => {
    const a = semverRange({ introduced: '0' });
    for (const v of ['0.0.1', '1.0.0', '99.0.0-rc.1']) expect(isAffected(v, a, 'npm'), v).toBe(true);
  });

  it('introduced 0, fixed 1.0.2: everything before 1.0.2', () => {
    const a = semverRange({ introduced: '0' }, { fixed: '1.0.2' });
    expect(isAffected('1.0.1', a, 'npm')).toBe(true);
    expect(isAffected('1.0.2-rc.1', a, 'npm')).toBe(true);
    expect(isAffected('1.0.2', a, 'npm')).toBe(false);
    expect(isAffected('2.0.0', a, 'npm')).toBe(false);
  });

  it('two intervals in one range: [1.0.0, 1.0.2) and [3.0.0, 3.2.5), in any event order', () => {
    const events = [{ introduced: '1.0.0' }, { fixed: '1.0.2' }, { introduced: '3.0.0' }, { fixed: '3.2.5' }];
    for (const order of [events, [...events].reverse()]) {
      const a = semverRange(...order);
      const got = ['0.9.0', '1.0.0', '1.0.1', '1.0.2', '2.0.0', '3.0.0', '3.2.4', '3.2.5'].map((v) =>
        isAffected(v, a, 'crates.io'),
      );
      expect(got).toEqual([false, true, true, false, false, true, true, false]);
    }
  });

  it('last_affected is inclusive, fixed is not', () => {
    const last = ecoRange({ introduced: '0' }, { last_affected: '2.1.214' });
    const fixed = ecoRange({ introduced: '0' }, { fixed: '2.1.214' });
    expect(isAffected('2.1.214', last, 'Maven')).toBe(true);
    expect(isAffected('2.1.215', last, 'Maven')).toBe(false);
    expect(isAffected('2.1.214', fixed, 'Maven')).toBe(false);
    expect(isAffected('2.1.213', fixed, 'Maven')).toBe(true);
  });

  it('limit events bound a range from above; "*" is infinity; several limits widen it', () => {
    const a = ecoRange({ introduced: '1.0' }, { limit: '2.0' });
    expect(isAffected('1.5', a, 'PyPI')).toBe(true);
    expect(isAffected('2.0', a, 'PyPI')).toBe(false);
    expect(isAffected('1.5', ecoRange({ introduced: '1.0' }, { limit: '*' }), 'PyPI')).toBe(true);
    const two = ecoRange({ introduced: '1.0' }, { limit: '1.2' }, { limit: '3.0' });
    expect(isAffected('2.5', two, 'PyPI')).toBe(true);
  });

  it('the versions list matches exactly or by the ecosystem order (1.0 = 1.0.0 in PyPI)', () => {
    const a: AffectedRanges = { versions: ['1.0', '2.0.post1'] };
    expect(isAffected('1.0', a, 'PyPI')).toBe(true);
    expect(isAffected('1.0.0', a, 'PyPI')).toBe(true);
    expect(isAffected('2.0', a, 'PyPI')).toBe(false);
    expect(isAffected('not-a-version', a, 'PyPI')).toBe('unknown');
  });
});

describe('ecosystem orderings in ranges', () => {
  it('Debian: epochs, tildes and revisions', () => {
    const a = ecoRange({ introduced: '0' }, { fixed: '1:2.3.4-1~deb12u1' });
    expect(isAffected('1:2.3.4-1~deb11u1', a, 'Debian:12')).toBe(true);
    expect(isAffected('1:2.3.4-1', a, 'Debian:12')).toBe(false);
    expect(isAffected('2.9.9-1', a, 'Debian:12')).toBe(true); // epoch 0 < 1
  });

  it('Alpine, AlmaLinux, Go (v prefix, pseudo-versions), Maven, RubyGems, NuGet, Packagist', () => {
    expect(isAffected('1.2.3-r1', ecoRange({ introduced: '0' }, { fixed: '1.2.3-r2' }), 'Alpine:v3.20')).toBe(
      true,
    );
    expect(
      isAffected(
        '1:1.26.0-14.el8_3',
        ecoRange({ introduced: '0' }, { fixed: '1:1.26.0-14.el8_3' }),
        'AlmaLinux:8',
      ),
    ).toBe(false);
    expect(
      isAffected(
        '1.26.0-20.el8',
        ecoRange({ introduced: '0' }, { fixed: '1:1.26.0-14.el8_3' }),
        'AlmaLinux:8',
      ),
    ).toBe(true);
    const goRange = semverRange({ introduced: '0' }, { fixed: '0.0.0-20220315000000-abcdefabcdef' });
    expect(isAffected('v0.0.0-20210101000000-123456123456', goRange, 'Go')).toBe(true);
    expect(isAffected('v0.1.0', goRange, 'Go')).toBe(false);
    expect(
      isAffected('v2.0.0+incompatible', semverRange({ introduced: '2.0.0' }, { fixed: '2.0.1' }), 'Go'),
    ).toBe(true);
    expect(isAffected('2.0-SNAPSHOT', ecoRange({ introduced: '0' }, { fixed: '2.0' }), 'Maven')).toBe(true);
    expect(isAffected('1.0.0.rc1', ecoRange({ introduced: '0' }, { fixed: '1.0.0' }), 'RubyGems')).toBe(true);
    expect(isAffected('1.0.0-RC1', ecoRange({ introduced: '0' }, { fixed: '1.0.0-rc2' }), 'NuGet')).toBe(
      true,
    );
    expect(
      isAffected('v1.0.0-beta2', ecoRange({ introduced: '1.0.0-beta1' }, { fixed: '1.0.0' }), 'Packagist'),
    ).toBe(true);
  });

  it('maps OSV ecosystem names, with their suffixes, to orderings', () => {
    expect(ecosystemBase('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu');
    expect(schemeForEcosystem('Debian:12')?.name).toBe('deb');
    expect(schemeForEcosystem('Ubuntu:22.04:LTS')?.name).toBe('deb');
    expect(schemeForEcosystem('Alpine:v3.20')?.name).toBe('apk');
    expect(schemeForEcosystem('Rocky Linux:9')?.name).toBe('rpm');
    expect(schemeForEcosystem('Red Hat:rhel_aus:8.4::appstream')?.name).toBe('rpm');
    expect(schemeForEcosystem('Maven:https://maven.google.com')?.name).toBe('maven');
    expect(schemeForEcosystem('PyPI')?.name).toBe('pep440');
    expect(schemeForEcosystem('crates.io')?.name).toBe('semver');
    expect(schemeForEcosystem('Packagist')?.name).toBe('composer');
    expect(schemeForEcosystem('Hackage')).toBeUndefined();
    expect(semverSchemeForEcosystem('Go').name).toBe('go');
    expect(semverSchemeForEcosystem('PyPI').name).toBe('semver');
    expect(KNOWN_ECOSYSTEMS).toContain('AlmaLinux');
  });
});

describe('what cannot be evaluated is unknown, and counted', () => {
  it('GIT ranges are skipped and counted; alone they decide nothing unless a versions list stands in', () => {
    const notes = newRangeNotes();
    const git: AffectedRanges = {
      ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }, { fixed: 'def' }] }],
    };
    expect(isAffected('1.0', git, 'PyPI', notes)).toBe('unknown');
    expect(isAffected('1.0', { ...git, versions: ['0.9'] }, 'PyPI', notes)).toBe(false);
    expect(isAffected('0.9', { ...git, versions: ['0.9'] }, 'PyPI', notes)).toBe(true);
    const mixed: AffectedRanges = {
      ranges: [...(git.ranges ?? []), ...(ecoRange({ introduced: '0' }, { fixed: '2.0' }).ranges ?? [])],
    };
    expect(isAffected('1.0', mixed, 'PyPI', notes)).toBe(true);
    expect(isAffected('3.0', mixed, 'PyPI', notes)).toBe(false);
    // Four evaluations passed over a GIT range; the one answered by the versions list stopped before.
    expect(notes.gitRangesSkipped).toBe(4);
  });

  it('an unknown ecosystem, an unparsable version or event, an unknown range type', () => {
    const notes = newRangeNotes();
    const a = ecoRange({ introduced: '0' }, { fixed: '2.0' });
    expect(isAffected('1.0', a, 'Hackage', notes)).toBe('unknown');
    expect(isAffected('not a version', a, 'PyPI', notes)).toBe('unknown');
    expect(isAffected('1.0', ecoRange({ introduced: '0' }, { fixed: 'bogus!' }), 'PyPI', notes)).toBe(
      'unknown',
    );
    expect(
      isAffected('1.0', { ranges: [{ type: 'DATE', events: [{ introduced: '0' }] }] }, 'PyPI', notes),
    ).toBe('unknown');
    expect(isAffected('1.0', {}, 'PyPI', notes)).toBe('unknown');
    expect(notes).toMatchObject({
      unknownEcosystems: 1,
      unparsableVersions: 1,
      unparsableEvents: 1,
      unknownRangeTypes: 1,
    });
    // An affected answer from one range stands even when another could not be read.
    const both: AffectedRanges = { ranges: [...(a.ranges ?? []), { type: 'DATE', events: [] }] };
    expect(isAffected('1.0', both, 'PyPI')).toBe(true);
  });

  it('reports the fixed version that ends the interval the version is in', () => {
    const c = compileAffected(
      semverRange({ introduced: '1.0.0' }, { fixed: '1.0.5' }, { introduced: '2.0.0' }, { fixed: '2.3.1' }),
      'npm',
    );
    expect(c.evaluate('2.1.0')).toEqual({ affected: true, fixed: ['2.3.1'] });
    expect(c.evaluate('1.0.0')).toEqual({ affected: true, fixed: ['1.0.5'] });
    expect(c.evaluate('1.5.0')).toEqual({ affected: false, fixed: [] });
    expect(compileAffected(ecoRange({ introduced: '0' }), 'npm').evaluate('1.0.0')).toEqual({
      affected: true,
      fixed: [],
    });
  });
});

interface Record {
  id: string;
  withdrawn?: string;
  affected?: (AffectedRanges & { package?: { ecosystem: string } })[];
}

/** Which of these strings Python's packaging (Debian's python3-packaging) accepts; undefined when it is absent. */
function packagingAccepts(versions: string[]): boolean[] | undefined {
  const script =
    'import json,sys\nfrom packaging.version import Version, InvalidVersion\n' +
    'def ok(s):\n    try:\n        Version(s); return True\n    except InvalidVersion:\n        return False\n' +
    'print(json.dumps([ok(s) for s in json.load(sys.stdin)]))';
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(versions),
    encoding: 'utf8',
  });
  return r.status === 0 ? (JSON.parse(r.stdout) as boolean[]) : undefined;
}

function* records(ecosystem: string): Generator<Record> {
  const files = unzipSync(readFileSync(sharedData('vulndb', 'osv', ecosystem, 'all.zip')));
  const dec = new TextDecoder();
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('.json')) yield JSON.parse(dec.decode(bytes)) as Record;
  }
}

describe('every range of the real OSV data, at its own boundaries', () => {
  it.each(['Go', 'PyPI', 'crates.io', 'AlmaLinux'])(
    '%s: every event version parses; introduced versions are affected, fixed versions are not',
    (ecosystem) => {
      let ranges = 0;
      let checks = 0;
      const unparsable: string[] = [];
      const unparsableValues: string[] = [];
      const wrong: string[] = [];
      for (const rec of records(ecosystem)) {
        if (rec.withdrawn) continue;
        for (const aff of rec.affected ?? []) {
          const eco = aff.package?.ecosystem ?? ecosystem;
          for (const r of aff.ranges ?? []) {
            if (r.type === 'GIT') continue;
            ranges++;
            const scheme = r.type === 'SEMVER' ? semverSchemeForEcosystem(eco) : schemeForEcosystem(eco);
            const bad = r.events.flatMap((e) =>
              Object.entries(e).filter(
                ([k, v]) =>
                  typeof v === 'string' &&
                  !(k === 'introduced' && v === '0') &&
                  scheme?.parse(v) === undefined,
              ),
            );
            if (bad.length > 0) {
              unparsable.push(`${rec.id} ${eco} ${JSON.stringify(bad)}`);
              unparsableValues.push(...bad.map(([, v]) => String(v)));
              continue;
            }
            const one = compileAffected({ ranges: [r] }, eco);
            const same = (x: string, y: string): boolean =>
              scheme !== undefined && scheme.compare(scheme.parse(x), scheme.parse(y)) === 0;
            const limits = r.events.map((e) => e.limit).filter((l) => l !== undefined);
            for (const e of r.events) {
              if (e.introduced !== undefined && e.introduced !== '0') {
                const x = e.introduced;
                // Empty intervals (fixed at the same version) and limits at or below it are exceptions.
                const exempt =
                  r.events.some((o) => o.fixed !== undefined && same(o.fixed, x)) ||
                  (limits.length > 0 &&
                    limits.every(
                      (l) =>
                        !l.includes('*') &&
                        scheme !== undefined &&
                        scheme.compare(scheme.parse(x), scheme.parse(l)) >= 0,
                    ));
                checks++;
                if (!exempt && one.evaluate(x).affected !== true)
                  wrong.push(`${rec.id} introduced ${x} not affected`);
              }
              if (e.fixed !== undefined) {
                const f = e.fixed;
                const exempt = r.events.some((o) => o.introduced !== undefined && same(o.introduced, f));
                checks++;
                if (!exempt && one.evaluate(f).affected !== false)
                  wrong.push(`${rec.id} fixed ${f} still affected`);
              }
            }
          }
        }
      }
      console.log(
        `${ecosystem}: ${ranges} ranges, ${checks} boundary checks, ${wrong.length} wrong, ${unparsable.length} ranges with unparsable events`,
      );
      for (const u of unparsable) console.log(`  UNPARSABLE ${u}`);
      for (const w of wrong) console.log(`  WRONG ${w}`);
      expect(ranges).toBeGreaterThan(1000);
      expect(wrong).toEqual([]);
      if (ecosystem !== 'PyPI') {
        expect(unparsable).toEqual([]);
        return;
      }
      // The PyPA database has a few event strings that are not PEP 440 versions (`2.9.0-NA`, dates,
      // `2.6.0-cu124`); their ranges are 'unknown'. packaging must refuse every one of them too.
      expect(unparsable.length).toBeLessThanOrEqual(25);
      const accepted = packagingAccepts(unparsableValues);
      if (!accepted) console.log('SKIP cross-check with packaging: /usr/bin/python3 cannot import packaging');
      else expect(unparsableValues.filter((_, i) => accepted[i])).toEqual([]);
    },
  );
});
