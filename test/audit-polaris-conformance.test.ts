/**
 * Polaris' success/failure fixtures for the checks that overlap ours: `success*` must
 * pass the mapped check, `failure*` must fail it. Target ≥ 95%; prints the rate and
 * every disagreement. Mapping Polaris check → our check ID (docs/conformance/audit.md).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';
import { auditObjects, compileChecks, readManifests } from '../packages/platform/src/audit/index.js';

export const POLARIS_TO_KSV: Readonly<Record<string, string>> = {
  hostIPCSet: 'KSV008',
  hostNetworkSet: 'KSV009',
  hostPIDSet: 'KSV010',
  hostPathSet: 'KSV023',
  hostPortSet: 'KSV024',
  runAsPrivileged: 'KSV017',
  privilegeEscalationAllowed: 'KSV001',
  notReadOnlyRootFilesystem: 'KSV014',
  cpuLimitsMissing: 'KSV011',
  cpuRequestsMissing: 'KSV015',
  memoryLimitsMissing: 'KSV018',
  memoryRequestsMissing: 'KSV016',
  procMount: 'KSV027',
  tagNotSpecified: 'KSV013',
  hostProcess: 'KSV103',
  runAsRootAllowed: 'KSV012',
};

describe('Polaris fixtures for overlapping checks', () => {
  it('agree at least 95%', () => {
    const root = sharedData('conformance/cis/polaris/test/checks');
    let ok = 0;
    let total = 0;
    const failures: string[] = [];
    for (const [polaris, id] of Object.entries(POLARIS_TO_KSV)) {
      const dir = join(root, polaris);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).sort()) {
        const expect_ = f.startsWith('success') ? 'pass' : f.startsWith('failure') ? 'fail' : undefined;
        if (!expect_) continue;
        const { objects } = readManifests(readFileSync(join(dir, f), 'utf8'), `${polaris}/${f}`);
        const results = auditObjects(compileChecks({ ids: [id] }), objects)
          .flatMap((r) => r.results)
          .filter((r) => r.checkId === id);
        const got = results.some((r) => !r.success) ? 'fail' : 'pass';
        total++;
        if (got === expect_) ok++;
        else failures.push(`${polaris}/${f} (${id}): expected ${expect_}, got ${got}`);
      }
    }
    const rate = ok / total;
    console.log(`polaris fixtures: ${ok}/${total} agree (${(rate * 100).toFixed(1)}%)`);
    for (const f of failures) console.log(`  DIFF ${f}`);
    expect(total).toBeGreaterThan(20);
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });
});
