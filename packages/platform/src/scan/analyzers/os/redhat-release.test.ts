import { describe, expect, it } from 'vitest';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { analyzer, parseRedHatRelease } from './redhat-release.js';

const dir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/os/redhatbase/testdata');

const file = (path: string, text: string): AnalyzerFile => ({
  path,
  content: Buffer.from(text),
  size: text.length,
  mode: 0o644,
});

describe('os/redhat-release against Trivy fixtures', () => {
  // Trivy's redhatbase *_test.go cases: fixture, the path it is read at, the OS.
  const cases: [string, string, { family: string; name: string } | undefined][] = [
    ['centos/centos-release', 'etc/centos-release', { family: 'centos', name: '7.6.1810' }],
    ['fedora_29/fedora-release', 'etc/fedora-release', { family: 'fedora', name: '29' }],
    ['redhat_6/redhat-release', 'etc/redhat-release', { family: 'redhat', name: '6.2' }],
    ['oracle_7/oracle-release', 'etc/oracle-release', { family: 'oracle', name: '7.6' }],
    ['alma/almalinux-release', 'etc/almalinux-release', { family: 'alma', name: '8.4' }],
    ['rocky/rocky-release', 'etc/rocky-release', { family: 'rocky', name: '8.4' }],
    ['not_redhatbase/empty', 'etc/redhat-release', undefined],
  ];

  it('detects the OS of every fixture as Trivy does', async () => {
    const failures: string[] = [];
    for (const [fixture, path, want] of cases) {
      const out = await analyzer.analyze([analyzerFile(`${dir}/${fixture}`, path)], testContext());
      if (JSON.stringify(out.os) !== JSON.stringify(want))
        failures.push(`${fixture}: got ${JSON.stringify(out.os)}`);
    }
    console.log(
      `redhat-release vs Trivy: ${cases.length - failures.length}/${cases.length}` +
        (failures.length ? `\n  ${failures.join('\n  ')}` : ''),
    );
    expect(failures).toEqual([]);
  });
});

describe('os/redhat-release', () => {
  it('accepts in each file only the names Trivy accepts there', () => {
    expect(parseRedHatRelease('etc/centos-release', 'Rocky Linux release 8.4 (Green Obsidian)\n')).toEqual(
      {},
    );
    expect(parseRedHatRelease('etc/centos-release', 'CentOS Stream release 8\n')).toEqual({});
    expect(parseRedHatRelease('etc/redhat-release', 'CentOS Stream release 8\n')).toEqual({
      os: { family: 'redhat', name: '8' },
    });
    expect(parseRedHatRelease('etc/redhat-release', 'Rocky Linux release 9.3 (Blue Onyx)\n')).toEqual({
      os: { family: 'rocky', name: '9.3' },
    });
    expect(parseRedHatRelease('usr/lib/fedora-release', 'Fedora release 40 (Forty)\n')).toEqual({
      os: { family: 'fedora', name: '40' },
    });
    expect(parseRedHatRelease('etc/oracle-release', 'Oracle Linux Server release 8.10\n')).toEqual({
      os: { family: 'oracle', name: '8.10' },
    });
    expect(parseRedHatRelease('etc/redhat-release', 'garbage\n')).toEqual({ malformed: true });
    expect(parseRedHatRelease('etc/other-release', 'CentOS Linux release 7\n')).toEqual({});
  });

  it('names Oracle Linux, not RHEL, whatever order its release files come in', async () => {
    const layer = [
      file('etc/oracle-release', 'Oracle Linux Server release 7.6\n'),
      file('etc/redhat-release', 'Red Hat Enterprise Linux Server release 7.6 (Maipo)\n'),
    ];
    for (const files of [layer, [...layer].reverse()]) {
      expect((await analyzer.analyze(files, testContext())).os).toEqual({ family: 'oracle', name: '7.6' });
    }
  });

  it('refuses a line longer than its cap before any pattern runs on it (so no regex sees a long line)', () => {
    expect(parseRedHatRelease('etc/redhat-release', 'x'.repeat(4000))).toEqual({ malformed: true });
    expect(parseRedHatRelease('etc/redhat-release', 'x'.repeat(100_000))).toEqual({ malformed: true });
  });

  it('warns about a malformed file', async () => {
    const ctx = testContext();
    expect((await analyzer.analyze([file('etc/redhat-release', 'nonsense')], ctx)).os).toBeUndefined();
    expect(ctx.diagnostics.items.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([
      ['OS_RELEASE_MALFORMED', 'etc/redhat-release', 1],
    ]);
  });
});
