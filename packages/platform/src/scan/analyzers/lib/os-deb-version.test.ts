import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../testing/shared-data.js';
import { parseDebVersion } from './os-deb-version.js';

describe('parseDebVersion', () => {
  it('splits epoch, upstream version and revision', () => {
    const table: [string, [number, string, string]][] = [
      ['1.0', [0, '1.0', '']],
      ['1:5.1.1-12ubuntu1', [1, '5.1.1', '12ubuntu1']],
      ['5:20.10.7~3-0~debian-buster', [5, '20.10.7~3-0~debian', 'buster']],
      ['8-20180414-1ubuntu2', [0, '8-20180414', '1ubuntu2']],
      ['1:1.2.11.dfsg-0ubuntu2', [1, '1.2.11.dfsg', '0ubuntu2']],
      ['2:1.0:2-3', [2, '1.0:2', '3']],
      [' 1.0-1 ', [0, '1.0', '1']],
      ['0:1.0', [0, '1.0', '']],
      ['+1:1.0', [1, '1.0', '']],
    ];
    for (const [raw, [epoch, upstream, revision]] of table) {
      expect(parseDebVersion(raw), raw).toEqual({ epoch, upstream, revision });
    }
  });

  it('rejects what go-deb-version rejects', () => {
    for (const raw of ['', '1:', 'a1.0', '1.0-r@1', '5.#', 'x:1.0', '-1:1.0', '1.0 1', '1:-1', '1.0/2'])
      expect(parseDebVersion(raw), raw).toBeUndefined();
    // An empty revision is allowed, as in go-deb-version: `1.0-` is upstream `1.0`.
    expect(parseDebVersion('1.0-')).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
    expect(parseDebVersion('1.0--')).toEqual({ epoch: 0, upstream: '1.0-', revision: '' });
  });

  it('accepts every Debian version in the shared ordering vectors', () => {
    const rows = readFileSync(sharedData('scan/version-vectors.tsv'), 'utf8')
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((r) => r[0] === 'deb');
    const versions = new Set(rows.flatMap((r) => [r[1] ?? '', r[2] ?? '']));
    const rejected = [...versions].filter((v) => parseDebVersion(v) === undefined);
    expect(versions.size).toBeGreaterThan(50);
    expect(rejected).toEqual([]);
  });
});
