import { describe, expect, it } from 'vitest';
import { parseDeb822 } from './os-deb822.js';

const fields = (text: string) => parseDeb822(text).paragraphs.map((p) => Object.fromEntries(p.fields));

describe('parseDeb822', () => {
  it('joins continuation lines with single spaces and keeps the first of repeated keys', () => {
    expect(fields('Package: a\nDescription: one\n two\n\t three\n .\nPackage: b\n')).toEqual([
      { package: 'a', description: 'one two three .' },
    ]);
  });

  it('matches keys case-insensitively and records paragraph lines', () => {
    const r = parseDeb822('\n\nPACKAGE: a\nversion:1\n\n\n\npackage: b\n');
    expect(r.paragraphs.map((p) => [p.line, Object.fromEntries(p.fields)])).toEqual([
      [3, { package: 'a', version: '1' }],
      [8, { package: 'b' }],
    ]);
  });

  it('rejects the paragraphs Go textproto rejects, and only those', () => {
    const r = parseDeb822(
      [
        ' starts with a continuation\nPackage: a',
        'Package: b\nno colon here',
        'Package: c\nBad(key): x',
        'Package: d\nKey: bell\u0007',
        'Package: e\n: empty key',
        'Package: f\nkey with space: ok',
      ].join('\n\n'),
    );
    expect(r.rejected.map((x) => [x.line, x.badLine, x.reason])).toEqual([
      [1, 1, 'paragraph starts with a continuation line'],
      [4, 5, 'line has no "key: value"'],
      [7, 8, 'invalid character in field name'],
      [10, 11, 'control character in value'],
      [13, 14, 'empty field name'],
    ]);
    expect(r.paragraphs.map((p) => Object.fromEntries(p.fields))).toEqual([
      { package: 'f', 'key with space': 'ok' },
    ]);
  });

  it('reads CRLF files and stops at the paragraph bound', () => {
    expect(fields('Package: a\r\nVersion: 1\r\n\r\nPackage: b\r\n')).toEqual([
      { package: 'a', version: '1' },
      { package: 'b' },
    ]);
    const many = Array.from({ length: 10 }, (_, i) => `Package: p${i}`).join('\n\n');
    const r = parseDeb822(many, 3);
    expect(r.paragraphs).toHaveLength(3);
    expect(r.truncated).toBe(true);
  });
});
