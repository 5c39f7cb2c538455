import { describe, expect, it } from 'vitest';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { analyzer } from './debian-version.js';

const dir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/os/debian/testdata');

describe('os/debian-version', () => {
  // Trivy's debian_test.go cases.
  it('reads the Trivy fixtures', async () => {
    const cases: [string, string][] = [
      ['debian_9/etc/debian_version', '9.8'],
      ['debian_sid/etc/debian_version', 'buster/sid'],
    ];
    for (const [path, name] of cases) {
      const out = await analyzer.analyze(
        [analyzerFile(`${dir}/${path}`, 'etc/debian_version')],
        testContext(),
      );
      expect(out.os, path).toEqual({ family: 'debian', name });
    }
    const ctx = testContext();
    const out = await analyzer.analyze([analyzerFile(`${dir}/empty`, 'etc/debian_version')], ctx);
    expect(out.os).toBeUndefined();
    expect(ctx.diagnostics.items.map((d) => d.code)).toEqual(['OS_RELEASE_EMPTY']);
  });

  it('gives the point release, not the major of os-release', async () => {
    const content = Buffer.from('12.5\n');
    const out = await analyzer.analyze(
      [{ path: 'etc/debian_version', content, size: content.length, mode: 0o644 }],
      testContext(),
    );
    expect(out.os).toEqual({ family: 'debian', name: '12.5' });
  });
});
