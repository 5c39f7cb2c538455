/**
 * Trivy JSON writer against Trivy's own integration goldens: each golden report
 * is read into our ScanReport (testing/trivy-report.ts), written back with the
 * Trivy-JSON writer and compared field by field. Only the keys Trivy's tests
 * normalize are dropped; every other difference must be a listed divergence.
 */
import { describe, expect, it } from 'vitest';
import { dropKeys, jsonDiff } from '../testing/json-diff.js';
import {
  explain,
  NORMALIZED_KEYS,
  TRIVY_JSON_DIVERGENCES,
  trivyJsonGoldens,
} from '../testing/trivy-goldens.js';
import { scanReportFromTrivy } from '../testing/trivy-report.js';
import { writeScanReport } from './scan-format.js';
import { toTrivyReport } from './scan-trivy-json.js';

describe('Trivy JSON (SchemaVersion 2) round trip over the trivy-integration goldens', () => {
  const goldens = trivyJsonGoldens();

  it('finds the goldens', () => {
    expect(goldens.length).toBeGreaterThan(60);
  });

  it('writes every representable golden back with only listed divergences', () => {
    let identical = 0;
    let divergentOnly = 0;
    const notApplicable: string[] = [];
    const unexplained: string[] = [];
    const used = new Map<string, number>();
    for (const { name, doc } of goldens) {
      const { report, unsupported } = scanReportFromTrivy(doc);
      if (unsupported.length > 0) {
        notApplicable.push(`${name}: ${unsupported.join(', ')}`);
        continue;
      }
      const text = writeScanReport(report, 'trivy-json', { toolVersion: 'dev' });
      const ours = JSON.parse(text) as unknown;
      const diffs = jsonDiff(dropKeys(doc, NORMALIZED_KEYS), dropKeys(ours, NORMALIZED_KEYS));
      const bad = diffs.filter((d) => {
        const why = explain(d);
        if (why) used.set(why, (used.get(why) ?? 0) + 1);
        return !why;
      });
      for (const d of bad) {
        unexplained.push(
          `${name}: ${d.path}: expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`,
        );
      }
      if (diffs.length === 0) identical++;
      else if (bad.length === 0) divergentOnly++;
    }
    const applicable = goldens.length - notApplicable.length;
    console.log(
      `trivy-json: ${identical + divergentOnly}/${applicable} goldens agree ` +
        `(${identical} identical, ${divergentOnly} with listed divergences only); ` +
        `${notApplicable.length} not applicable:\n  ${notApplicable.join('\n  ')}`,
    );
    console.log(
      `listed divergences (differences per reason):\n  ${[...used].map(([r, n]) => `${n}× ${r}`).join('\n  ')}`,
    );
    if (unexplained.length > 0) console.log(`unexplained differences:\n  ${unexplained.join('\n  ')}`);
    expect(unexplained).toEqual([]);
    // Every divergence in the table is still needed.
    expect(TRIVY_JSON_DIVERGENCES.map((d) => d.reason).filter((r) => !used.has(r))).toEqual([]);
  });

  it('keeps key order: objects come out in the order of Trivy’s structs', () => {
    const doc = trivyJsonGoldens().find((g) => g.name === 'alpine-310.json.golden')?.doc;
    expect(doc).toBeDefined();
    const { report } = scanReportFromTrivy(doc);
    const ours = toTrivyReport(report) as { Results: { Vulnerabilities: Record<string, unknown>[] }[] };
    const golden = doc as { Results: { Vulnerabilities: Record<string, unknown>[] }[] };
    const keys = (o: Record<string, unknown> | undefined) =>
      Object.keys(o ?? {}).filter((k) => !['Fingerprint', 'VendorIDs'].includes(k));
    expect(keys(ours.Results[0]?.Vulnerabilities[0])).toEqual(keys(golden.Results[0]?.Vulnerabilities[0]));
  });

  it('sorts findings in Trivy’s order whatever order they arrive in', () => {
    const doc = trivyJsonGoldens().find((g) => g.name === 'alpine-39.json.golden')?.doc;
    const { report } = scanReportFromTrivy(doc);
    const first = report.results[0];
    expect(first?.vulnerabilities?.length).toBeGreaterThan(3);
    const reversed = {
      ...report,
      results: [{ ...first!, vulnerabilities: [...(first?.vulnerabilities ?? [])].reverse() }],
    };
    const a = JSON.parse(writeScanReport(report, 'trivy-json')) as unknown;
    const b = JSON.parse(writeScanReport(reversed, 'trivy-json')) as unknown;
    expect(b).toEqual(a);
  });
});
