import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { comparePep440, isPep440, parsePep440, parsePep440Specifier, satisfiesPep440 } from './pep440.js';

function rows(file: string): string[][] {
  return readFileSync(sharedData('scan', file), 'utf8')
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((r) => r[0] === 'pep440');
}

describe('PEP 440', () => {
  it('orders versions as the upstream comparison vectors say', () => {
    const failures: string[] = [];
    const cases = rows('version-vectors.tsv');
    for (const [, a = '', b = '', expected = ''] of cases) {
      const va = parsePep440(a);
      const vb = parsePep440(b);
      const got = va && vb ? Math.sign(comparePep440(va, vb)) : NaN;
      if (got !== Number(expected)) failures.push(`${a} vs ${b}: ${got}, want ${expected}`);
    }
    console.log(`pep440 ordering: ${cases.length - failures.length}/${cases.length} agree`);
    expect(cases.length).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  });

  it("checks specifiers as go-pep440-version's tests say (pre-releases allowed)", () => {
    const failures: string[] = [];
    const cases = rows('version-constraints.tsv');
    for (const [, version = '', constraint = '', expected = ''] of cases) {
      const v = parsePep440(version);
      const spec = parsePep440Specifier(constraint);
      const got = v && spec ? satisfiesPep440(v, spec) : 'unparsable';
      if (String(got) !== expected) failures.push(`${version} ${constraint}: ${got}, want ${expected}`);
    }
    console.log(`pep440 specifiers: ${cases.length - failures.length}/${cases.length} agree`);
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(cases.length).toBeGreaterThan(150);
    expect(failures).toEqual([]);
  });

  it('tells valid versions from invalid ones', () => {
    for (const v of ['1.0', '1!2.0', '1.0a1', '1.0.post1', '1.0.dev0', '1.0+local.7', 'v1.0', '2.0.0-1'])
      expect(isPep440(v), v).toBe(true);
    for (const v of ['', '1.0.*', "'1.2.4'", 'invalid-version', '%%', '1..0'])
      expect(isPep440(v), v).toBe(false);
  });

  it('rejects malformed specifiers', () => {
    for (const s of ['^1.0', '>=', '1.0 ||', 'foo']) expect(parsePep440Specifier(s), s).toBeUndefined();
  });
});
