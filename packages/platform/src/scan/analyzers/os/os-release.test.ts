import { readdirSync } from 'node:fs';
import type { OSInfo } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { analyzer, parseOSRelease } from './os-release.js';

const dir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/os/release/testdata');

/**
 * Expected OS per Trivy fixture. The first block is Trivy's release_test.go;
 * the second holds the fixtures of the distributions whose ID newer Trivy
 * maps in os-release too (rhel, centos, rocky, almalinux, ol, fedora,
 * activestate). For `centos-stream` (ID="centos", NAME="CentOS Stream")
 * Trivy's expectation was not available; Palisade reads the ID, as for CentOS.
 */
const expected: Record<string, OSInfo | undefined> = {
  alpine: { family: 'alpine', name: '3.15.4' },
  'opensuseleap-15.2.1': { family: 'opensuse-leap', name: '15.2.1' },
  'opensuseleap-42.3': { family: 'opensuse-leap', name: '42.3' },
  opensusetumbleweed: { family: 'opensuse-tumbleweed', name: '20220412' },
  sles: { family: 'sles', name: '15.3' },
  slemicro: { family: 'slem', name: '5.3' },
  'slemicro6.0': { family: 'slem', name: '6.0' },
  'slemicro-rancher': { family: 'slem', name: '5.4' },
  photon: { family: 'photon', name: '4.0' },
  'azurelinux-3.0': { family: 'azurelinux', name: '3.0' },
  'mariner-2.0': { family: 'cbl-mariner', name: '2.0' },
  'mariner-1.0': { family: 'cbl-mariner', name: '1.0' },
  echo: { family: 'echo', name: '1' },
  minimos: { family: 'minimos', name: '20241031' },
  bottlerocket: { family: 'bottlerocket', name: '1.34.0' },
  coreos: { family: 'coreos', name: '3.15.4' },
  unknown: undefined,
  'no-id': undefined,
  'no-version': undefined,

  activestate: { family: 'activestate', name: '1.0' },
  rhel: { family: 'redhat', name: '9.4' },
  centos: { family: 'centos', name: '7' },
  'centos-stream': { family: 'centos', name: '8' },
  rocky: { family: 'rocky', name: '9.3' },
  alma: { family: 'alma', name: '9.4' },
  oracle: { family: 'oracle', name: '8.10' },
  fedora: { family: 'fedora', name: '42' },
};

describe('os/os-release against Trivy fixtures', () => {
  it('detects the OS of every fixture as Trivy does', async () => {
    const files = readdirSync(dir).sort();
    const failures: string[] = [];
    for (const f of files) {
      if (!(f in expected)) {
        failures.push(`${f}: no expectation written for this fixture`);
        continue;
      }
      const out = await analyzer.analyze([analyzerFile(`${dir}/${f}`, 'etc/os-release')], testContext());
      const want = expected[f];
      if (JSON.stringify(out.os) !== JSON.stringify(want)) {
        failures.push(`${f}: got ${JSON.stringify(out.os)}, want ${JSON.stringify(want)}`);
      }
    }
    console.log(
      `os-release vs Trivy: ${files.length - failures.length}/${files.length} fixtures match` +
        (failures.length ? `\n  ${failures.join('\n  ')}` : ''),
    );
    expect(files.length).toBeGreaterThanOrEqual(26);
    expect(failures).toEqual([]);
  });
});

describe('os/os-release', () => {
  it('leaves Debian, Ubuntu and Amazon Linux to their own release files', () => {
    expect(parseOSRelease('ID=debian\nVERSION_ID="12"\n')).toBeUndefined();
    expect(parseOSRelease('ID=ubuntu\nVERSION_ID="22.04"\n')).toBeUndefined();
    expect(parseOSRelease('ID="amzn"\nVERSION_ID="2"\n')).toBeUndefined();
  });

  it('reads quoting, spacing and order as Trivy does', () => {
    expect(parseOSRelease(' ID = \'wolfi\' \nVERSION_ID="20230201"')).toEqual({
      family: 'wolfi',
      name: '20230201',
    });
    expect(parseOSRelease('VERSION_ID=3.19.1\r\nID=alpine\r\n')).toEqual({
      family: 'alpine',
      name: '3.19.1',
    });
    expect(parseOSRelease('ID=chainguard\nVERSION_ID=""\n')).toBeUndefined();
    expect(parseOSRelease('ID=constructor\nVERSION_ID=1\n')).toBeUndefined();
    expect(parseOSRelease('ID=toString\nVERSION_ID=1\n')).toBeUndefined();
    expect(parseOSRelease('# ID=alpine\nVERSION_ID=1\n')).toBeUndefined();
  });

  it('reads the Bottlerocket sysroot paths and combines the files of a layer in path order', async () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release', info)).toBe(true);
    expect(analyzer.required('etc/os-release', info)).toBe(true);
    expect(analyzer.required('usr/lib/os-release', info)).toBe(true);
    expect(analyzer.required('etc/os-release.d/x', info)).toBe(false);
    const file = (path: string, text: string) => ({
      path,
      content: Buffer.from(text),
      size: text.length,
      mode: 0o644,
    });
    const out = await analyzer.analyze(
      [
        file('etc/os-release', 'ID=rocky\nVERSION_ID=9\n'),
        file('usr/lib/os-release', 'ID=rocky\nVERSION_ID=9.3\n'),
      ],
      testContext(),
    );
    expect(out.os).toEqual({ family: 'rocky', name: '9.3' });
  });
});
