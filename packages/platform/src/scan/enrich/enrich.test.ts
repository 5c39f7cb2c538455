/**
 * EPSS and KEV readers over the real files in ../shared/data/vulndb (checked
 * against an independent reading with gunzipSync/JSON.parse), bad input with
 * line numbers and bounds, and enrichment of findings by ID or alias.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync, gunzipSync } from 'node:zlib';
import type { DetectedVulnerability, ScanReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { enrich } from './enrich.js';
import { epssTableFrom, parseEpssStream, readEpss } from './epss.js';
import { kevTableFrom, parseKev, readKev } from './kev.js';

const EPSS = sharedData('vulndb', 'epss', 'epss_scores.csv.gz');
const KEV = sharedData('vulndb', 'kev', 'known_exploited_vulnerabilities.json');

describe('EPSS over the real file', () => {
  it('loads every row and agrees with an independent reading, to the last bit of every score', async () => {
    const { table, skipped } = await readEpss(EPSS);
    const lines = gunzipSync(readFileSync(EPSS)).toString('utf8').trim().split('\n');
    const rows = lines.filter((l) => l.startsWith('CVE-'));
    expect(skipped).toBe(0);
    expect(table.size).toBe(new Set(rows.map((r) => r.split(',')[0])).size);
    // Every row (scores are read from their digits, not with Number(): they must be the same doubles).
    let differ = 0;
    for (const row of rows) {
      const [cve, s, p] = row.split(',');
      const got = table.get(cve as string);
      if (got?.score !== Number(s) || got.percentile !== Number(p)) differ++;
    }
    expect(differ).toBe(0);
    expect(table.get('CVE-1999-1593')).toEqual({ score: 0.18126, percentile: 0.96946 });
    expect(table.get('CVE-1900-0001')).toBeUndefined();
    expect(table.get('GHSA-xxxx')).toBeUndefined();
  });
});

function gz(text: string): Readable {
  return Readable.from([gzipSync(Buffer.from(text))]);
}

describe('EPSS bad input', () => {
  it('reads the model comment line', async () => {
    const { table } = await parseEpssStream(
      gz(
        '#model_version:v2025.03.14,score_date:2025-08-26T12:55:00Z\ncve,epss,percentile\nCVE-2024-0001,0.5,0.9\n',
      ),
      { gzip: true },
    );
    expect(table.modelVersion).toBe('v2025.03.14');
    expect(table.scoreDate).toBe('2025-08-26T12:55:00Z');
    expect(table.get('CVE-2024-0001')).toEqual({ score: 0.5, percentile: 0.9 });
  });
  it('skips malformed rows with counted warnings and line numbers', async () => {
    const text = [
      'cve,epss,percentile',
      'CVE-2024-0001,0.5,0.9',
      'CVE-2024-0002,abc,0.9',
      'not-a-cve,0.1,0.1',
      'CVE-2024-0003,0.1',
      'CVE-2024-0004,1.5,0.1',
      `CVE-2024-0005,${'9'.repeat(2000)},0.1`,
      'CVE-2024-0006,0.2,0.3',
    ].join('\n');
    const { table, skipped, diagnostics } = await parseEpssStream(gz(text), { gzip: true, name: 'e.csv.gz' });
    expect(table.size).toBe(2);
    expect(skipped).toBe(5);
    expect(diagnostics.map((d) => d.location?.line)).toEqual([3, 4, 5, 6, 7]);
    expect(diagnostics.every((d) => d.location?.file === 'e.csv.gz')).toBe(true);
  });
  it('reads numbers as Number() does, orders CVEs by year and number, and keeps the later of two rows', async () => {
    const text = [
      'cve,epss,percentile',
      'CVE-2024-10000,1e-1, 0.25',
      'CVE-2024-9999,.5,1.',
      'CVE-2023-99999999,0.000000000000000001,0.1234567890123456',
      'CVE-2024-0001,0.1,0.2',
      'CVE-2024-0001,0.3,0.4',
    ].join('\r\n');
    const { table, skipped } = await parseEpssStream(gz(text), { gzip: true });
    expect(skipped).toBe(0);
    expect(table.size).toBe(4);
    expect(table.get('CVE-2024-10000')).toEqual({ score: 0.1, percentile: 0.25 });
    expect(table.get('CVE-2024-9999')).toEqual({ score: 0.5, percentile: 1 });
    expect(table.get('CVE-2023-99999999')).toEqual({ score: 1e-18, percentile: 0.1234567890123456 });
    expect(table.get('CVE-2024-0001')).toEqual({ score: 0.3, percentile: 0.4 });
    // Many rows in no order, some CVEs twice: every one found, with its last row's score.
    const rows = Array.from({ length: 5000 }, (_, i): [string, number, number] => [
      `CVE-${2000 + (i % 25)}-${String((i * 7919) % 100000).padStart(4, '0')}`,
      i / 5000,
      0.5,
    ]);
    for (let j = 0; j < 500; j++) rows.push([(rows[j * 10] as [string, number, number])[0], j / 500, 0.25]);
    const last = new Map(rows.map(([cve, score]) => [cve, score]));
    expect(last.size).toBeLessThan(rows.length);
    const many = epssTableFrom(rows);
    expect(many.size).toBe(last.size);
    for (const [cve, score] of last) expect(many.get(cve)?.score, cve).toBe(score);
  });
  it('rejects a wrong header', async () => {
    await expect(parseEpssStream(gz('a,b,c\n'), { gzip: true })).rejects.toMatchObject({ code: 'E_PARSE' });
  });
  it('rejects a truncated gzip', async () => {
    const whole = gzipSync(Buffer.from(`cve,epss,percentile\n${'CVE-2024-0001,0.5,0.9\n'.repeat(1000)}`));
    const cut = whole.subarray(0, whole.length - 20);
    await expect(parseEpssStream(Readable.from([cut]), { gzip: true })).rejects.toMatchObject({
      code: 'E_ARCHIVE_TRUNCATED',
    });
  });
  it('stops at the decompressed-size bound', async () => {
    const big = gzipSync(Buffer.from(`cve,epss,percentile\n${'CVE-2024-0001,0.5,0.9\n'.repeat(100_000)}`));
    await expect(
      parseEpssStream(Readable.from([big]), { gzip: true, limits: { maxBytes: 100_000 } }),
    ).rejects.toMatchObject({ code: 'E_ARCHIVE_BOMB' });
  });
  it('stops at the row bound', async () => {
    await expect(
      parseEpssStream(gz(`cve,epss,percentile\n${'CVE-2024-0001,0.5,0.9\n'.repeat(20)}`), {
        gzip: true,
        limits: { maxRows: 10 },
      }),
    ).rejects.toMatchObject({ code: 'E_LIMIT' });
  });
  it('does not buffer a line that never ends', async () => {
    const { skipped } = await parseEpssStream(gz(`cve,epss,percentile\n${'x'.repeat(5_000_000)}`), {
      gzip: true,
    });
    expect(skipped).toBe(1);
  });
});

describe('KEV', () => {
  it('reads the real catalogue', async () => {
    const { table, skipped } = await readKev(KEV);
    const raw = JSON.parse(readFileSync(KEV, 'utf8')) as {
      count: number;
      vulnerabilities: { cveID: string }[];
    };
    expect(skipped).toBe(0);
    expect(table.size).toBe(new Set(raw.vulnerabilities.map((v) => v.cveID)).size);
    expect(table.size).toBe(raw.count);
    expect(table.get('CVE-2025-48384')).toEqual({
      dateAdded: '2025-08-25',
      dueDate: '2025-09-15',
      knownRansomwareCampaignUse: 'Unknown',
    });
    expect(table.catalogVersion).toBe('2025.08.25');
  });
  it('skips entries without a CVE or date, and rejects what is not a catalogue', () => {
    const { table, diagnostics } = parseKev(
      JSON.stringify({
        vulnerabilities: [{ cveID: 'CVE-2024-1', dateAdded: '2024-01-01' }, { cveID: 'x' }, null],
      }),
      'k.json',
    );
    expect(table.size).toBe(0); // CVE-2024-1 has too few digits
    expect(diagnostics.map((d) => d.location?.snippet)).toEqual([
      '/vulnerabilities/0',
      '/vulnerabilities/1',
      '/vulnerabilities/2',
    ]);
    expect(() => parseKev('{"a":1}', 'k.json')).toThrow(/not a KEV catalogue/);
    expect(() => parseKev('{', 'k.json')).toThrow(/not JSON/);
  });
});

describe('enrich', () => {
  const v = (over: Partial<DetectedVulnerability>): DetectedVulnerability => ({
    vulnerabilityId: 'CVE-2024-0001',
    pkgName: 'p',
    installedVersion: '1',
    status: 'fixed',
    severity: 'HIGH',
    ...over,
  });
  const report: ScanReport = {
    schemaVersion: 1,
    createdAt: '',
    artifact: { name: 'x', type: 'filesystem' },
    diagnostics: [],
    results: [
      {
        target: 't',
        class: 'lang-pkgs',
        vulnerabilities: [
          v({}),
          v({ vulnerabilityId: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2024-0002', 'PYSEC-1'] }),
          v({ vulnerabilityId: 'GO-2024-0001' }),
        ],
      },
    ],
  };
  const epss = epssTableFrom(
    [
      ['CVE-2024-0001', 0.1, 0.5],
      ['CVE-2024-0002', 0.7, 0.99],
    ],
    { scoreDate: '2025-08-26' },
  );
  const kev = kevTableFrom([['CVE-2024-0002', { dateAdded: '2024-05-01' }]]);
  it('fills EPSS and KEV by ID or CVE alias and leaves the input alone', () => {
    const { report: out, stats } = enrich(report, { epss, kev });
    const vs = out.results[0]?.vulnerabilities ?? [];
    expect(vs[0]?.epss).toEqual({ score: 0.1, percentile: 0.5, date: '2025-08-26' });
    expect(vs[0]?.kev).toBeUndefined();
    expect(vs[1]?.epss?.score).toBe(0.7);
    expect(vs[1]?.kev).toEqual({ dateAdded: '2024-05-01' });
    expect(vs[2]).toBe(report.results[0]?.vulnerabilities?.[2]);
    expect(stats).toEqual({ findings: 3, withCve: 2, epss: 2, kev: 1 });
    expect(report.results[0]?.vulnerabilities?.[0]?.epss).toBeUndefined();
  });
});
