import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../testing/shared-data.js';
import { parseTxtar } from './txtar.js';

describe('parseTxtar', () => {
  it('splits the comment and the files', () => {
    const a = parseTxtar('comment\nline 2\n-- a/b.txt --\nA\n\n-- c --\nC\n');
    expect(a).toEqual({
      comment: 'comment\nline 2\n',
      files: [
        { name: 'a/b.txt', data: 'A\n\n' },
        { name: 'c', data: 'C\n' },
      ],
    });
  });

  it('adds the missing final newline, keeps empty files and ignores marker-like text inside a line', () => {
    expect(parseTxtar('-- x --\n-- y --\nlast').files).toEqual([
      { name: 'x', data: '' },
      { name: 'y', data: 'last\n' },
    ]);
    expect(parseTxtar('no files').files).toEqual([]);
    expect(parseTxtar('a -- b --\n--x --\n-- --\n').files).toEqual([]);
  });

  it('reads every Trivy dpkg fixture into var/lib/dpkg files', () => {
    const dir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/pkg/dpkg/testdata');
    const names = readdirSync(dir).filter((f) => f.endsWith('.txtar'));
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const n of names) {
      const a = parseTxtar(readFileSync(`${dir}/${n}`, 'utf8'));
      expect(a.files.length, n).toBeGreaterThan(0);
      for (const f of a.files) expect(f.name, n).toMatch(/^var\/lib\/dpkg\//);
      expect(a.files[0]?.data, n).toMatch(/^Package: /);
    }
  });
});
