/**
 * Conformance with the upstream version-ordering and range vectors in
 * ../shared/data/scan (version-vectors.tsv: 9,220 ordered pairs from the test
 * suites of the version libraries Trivy uses; version-constraints.tsv: 330
 * version-in-range cases). Every row must agree; there are no accepted
 * divergences, so the lists below are empty and a disagreement fails the test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { apk } from './apk.js';
import { deb } from './deb.js';
import { satisfiesNpm } from './npm-range.js';
import { parsePep440, parsePep440Specifier, pep440, satisfiesPep440 } from './pep440.js';
import { rpm, rpmSegment } from './rpm.js';
import { compareVersions, type VersionScheme } from './scheme.js';
import { npm } from './semver.js';

function table(file: string): string[][] {
  const lines = readFileSync(sharedData('scan', file), 'utf8').split('\n');
  // Keep empty fields (rpm-vercmp compares the empty string); drop the header and blank lines.
  return lines
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const SCHEMES: Record<string, VersionScheme> = {
  deb,
  apk,
  rpm,
  'rpm-vercmp': rpmSegment,
  pep440,
  npm,
};

/** Rows that may disagree, with the reason: none. */
const EXPECTED_ORDER_DIVERGENCES: ReadonlyMap<string, string> = new Map();
const EXPECTED_RANGE_DIVERGENCES: ReadonlyMap<string, string> = new Map();

describe('version-vectors.tsv', () => {
  const rows = table('version-vectors.tsv');

  it('has the rows the data set documents', () => {
    expect(rows.length).toBe(9220);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(Object.keys(SCHEMES)));
  });

  it('orders every pair as upstream says, per ecosystem', () => {
    const stats = new Map<string, { pass: number; total: number }>();
    const failures: string[] = [];
    for (const [eco = '', a = '', b = '', expected = ''] of rows) {
      const scheme = SCHEMES[eco];
      const got = scheme ? compareVersions(scheme, a, b) : undefined;
      const s = stats.get(eco) ?? { pass: 0, total: 0 };
      s.total++;
      const key = `${eco}\t${a}\t${b}`;
      if (got === Number(expected)) s.pass++;
      else if (!EXPECTED_ORDER_DIVERGENCES.has(key))
        failures.push(
          `${eco}: compare(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${got}, want ${expected}`,
        );
      stats.set(eco, s);
    }
    for (const [eco, s] of stats)
      console.log(`${eco.padEnd(10)} ${s.pass}/${s.total} (${((100 * s.pass) / s.total).toFixed(2)}%)`);
    for (const f of failures) console.log(`  DISAGREE ${f}`);
    expect(failures).toEqual([]);
  });
});

describe('version-constraints.tsv', () => {
  const rows = table('version-constraints.tsv');

  it('decides every version-in-range case as upstream says, per ecosystem', () => {
    const stats = new Map<string, { pass: number; total: number }>();
    const failures: string[] = [];
    for (const [eco = '', version = '', constraint = '', expected = ''] of rows) {
      let got: boolean | undefined;
      // npm answers false for a malformed range (7 rows), as node-semver's satisfies does.
      if (eco === 'npm') got = satisfiesNpm(version, constraint);
      else if (eco === 'pep440') {
        const v = parsePep440(version);
        const spec = parsePep440Specifier(constraint);
        got = v && spec ? satisfiesPep440(v, spec) : undefined;
      }
      const s = stats.get(eco) ?? { pass: 0, total: 0 };
      s.total++;
      const key = `${eco}\t${version}\t${constraint}`;
      if (String(got) === expected) s.pass++;
      else if (!EXPECTED_RANGE_DIVERGENCES.has(key))
        failures.push(
          `${eco}: ${JSON.stringify(version)} in ${JSON.stringify(constraint)} = ${got}, want ${expected}`,
        );
      stats.set(eco, s);
    }
    expect(rows.length).toBe(330);
    for (const [eco, s] of stats)
      console.log(`${eco.padEnd(10)} ${s.pass}/${s.total} (${((100 * s.pass) / s.total).toFixed(2)}%)`);
    for (const f of failures) console.log(`  DISAGREE ${f}`);
    expect(failures).toEqual([]);
  });
});
