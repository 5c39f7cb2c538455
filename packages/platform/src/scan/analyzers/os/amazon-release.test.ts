import { describe, expect, it } from 'vitest';
import { testContext } from '../../../testing/shared-data.js';
import { analyzer, parseSystemRelease } from './amazon-release.js';

describe('os/amazon-release', () => {
  // Trivy's amazonlinux_test.go cases.
  it('spells the release as Trivy does', () => {
    const table: [string, string | undefined][] = [
      ['Amazon Linux AMI release 2018.03\n', 'AMI release 2018.03'],
      ['Amazon Linux release 2 (Karoo)\n', '2 (Karoo)'],
      ['Amazon Linux release 2022 (Amazon Linux)\n', '2022 (Amazon Linux)'],
      ['Amazon Linux release 2023 (Amazon Linux)\n', '2023 (Amazon Linux)'],
      ['Amazon Linux release 2\n', undefined],
      ['Fedora release 40 (Forty)\n', undefined],
      ['', undefined],
    ];
    for (const [text, name] of table) {
      expect(parseSystemRelease(text), text).toEqual(
        name === undefined ? undefined : { family: 'amazon', name },
      );
    }
  });

  it('reads both system-release paths', async () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('etc/system-release', info)).toBe(true);
    expect(analyzer.required('usr/lib/system-release', info)).toBe(true);
    const text = 'Amazon Linux release 2023.5.20240805 (Amazon Linux)\n';
    const out = await analyzer.analyze(
      [{ path: 'usr/lib/system-release', content: Buffer.from(text), size: text.length, mode: 0o644 }],
      testContext(),
    );
    expect(out.os).toEqual({ family: 'amazon', name: '2023.5.20240805 (Amazon Linux)' });
  });
});
