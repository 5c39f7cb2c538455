import { describe, expect, it } from 'vitest';
import { laxSplitLicenses, normalizeLicense } from './os-license.js';

describe('laxSplitLicenses', () => {
  it('splits apk license fields as Trivy does', () => {
    const table: [string, string[]][] = [
      ['MIT', ['MIT']],
      ['GPL2', ['GPL-2.0-only']],
      ['GPL', ['GPL-2.0-or-later']],
      ['MIT BSD GPL2+', ['MIT', 'BSD-3-Clause', 'GPL-2.0-or-later']],
      ['( Apache-2.0 OR MIT ) AND MPL-2.0', ['Apache-2.0', 'MIT', 'MPL-2.0']],
      ['MPL 2.0 GPL2+', ['MPL-2.0', 'GPL-2.0-or-later']],
      ['MIT AND BSD-2-Clause AND GPL-2.0-or-later', ['MIT', 'BSD-2-Clause', 'GPL-2.0-or-later']],
      ['GPL-2.0-only', ['GPL-2.0-only']],
      ['LGPL-2.1-or-later', ['LGPL-2.1-or-later']],
      ['zlib', ['Zlib']],
      ['openssl', ['OpenSSL']],
      ['Public-Domain', ['Public-Domain']],
      ['GPLv3+ with exceptions', ['GPL-3.0-or-later', 'with', 'exceptions']],
      ['', []],
    ];
    for (const [field, want] of table) expect(laxSplitLicenses(field), field).toEqual(want);
  });
});

describe('normalizeLicense', () => {
  it('maps common names and keeps unknown ones as written', () => {
    const table: [string, string][] = [
      ['The MIT License', 'MIT'],
      ['Apache License 2.0', 'Apache-2.0'],
      ['apache-2.0', 'Apache-2.0'],
      ['BSD-3-Clause', 'BSD-3-Clause'],
      ['LGPL', 'LGPL-2.0-or-later'],
      ['LGPL-3.0+', 'LGPL-3.0-or-later'],
      ['MPL-1.1+', 'MPL-1.1+'],
      ['Expat', 'MIT'],
      ['Unlicense', 'Unlicense'],
      ['Custom-Thing', 'Custom-Thing'],
      ['https://example.com/license', 'https://example.com/license'],
    ];
    for (const [name, want] of table) expect(normalizeLicense(name), name).toBe(want);
  });
});

describe('license parsing on hostile input', () => {
  it('handles long runs of letters, spaces and parentheses (the version-gluing regex only sees text under its cap)', () => {
    const inputs = [
      'AA' + ' '.repeat(100_000) + 'x',
      'a'.repeat(100_000),
      'GPL' + ' v'.repeat(10_000),
      '('.repeat(100_000) + 'MIT',
      'ab '.repeat(10_000),
    ];
    for (const input of inputs) {
      const out = laxSplitLicenses(input);
      expect(out.length).toBeGreaterThan(0);
    }
  });
});
