import { describe, expect, it } from 'vitest';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { analyzer, parseLsbRelease } from './ubuntu-lsb.js';

const dir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/os/ubuntu/testdata');

describe('os/ubuntu-lsb', () => {
  // Trivy's ubuntu_test.go cases.
  it('reads the Trivy fixtures', async () => {
    const ok = await analyzer.analyze([analyzerFile(`${dir}/lsb-release`, 'etc/lsb-release')], testContext());
    expect(ok.os).toEqual({ family: 'ubuntu', name: '18.04' });
    const bad = await analyzer.analyze([analyzerFile(`${dir}/invalid`, 'etc/lsb-release')], testContext());
    expect(bad.os).toBeUndefined();
  });

  it('needs DISTRIB_ID=Ubuntu before the release', () => {
    expect(parseLsbRelease('DISTRIB_RELEASE=22.04\nDISTRIB_ID=Ubuntu\n')).toBeUndefined();
    expect(parseLsbRelease('DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=21.3\n')).toBeUndefined();
    expect(parseLsbRelease('DISTRIB_ID=Ubuntu\r\nDISTRIB_RELEASE=24.04\r\n')).toEqual({
      family: 'ubuntu',
      name: '24.04',
    });
    expect(parseLsbRelease('DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=\n')).toBeUndefined();
  });
});
