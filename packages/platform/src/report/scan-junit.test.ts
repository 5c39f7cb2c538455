import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { goldenIndex, readGolden, trivyJsonGoldens, trivyTestdata } from '../testing/trivy-goldens.js';
import { scanReportFromTrivy } from '../testing/trivy-report.js';
import { writeScanReport } from './scan-format.js';
import { escapeXml } from './scan-junit.js';

describe('JUnit XML as Trivy’s junit template', () => {
  it('reproduces every JUnit golden byte for byte from the JSON golden of the same input', () => {
    const cases = goldenIndex().filter((e) => e.golden.endsWith('.junit.golden'));
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const json = goldenIndex().find(
        (e) =>
          e.golden.endsWith('.json.golden') &&
          e.args['Input'] === c.args['Input'] &&
          e.test_file === c.test_file &&
          Object.keys(e.args).length === 1,
      );
      expect(json, c.case).toBeDefined();
      const { report } = scanReportFromTrivy(readGolden(json!.golden.replace(/^testdata\//, '')));
      const want = readFileSync(join(trivyTestdata(), c.golden.replace(/^testdata\//, '')), 'utf8');
      expect(writeScanReport(report, 'junit')).toBe(want);
    }
    console.log(`junit goldens: ${cases.length}/${cases.length} identical`);
  });

  it('writes well-formed XML for every golden, with one test case per vulnerability', () => {
    const parser = new XMLParser({
      ignoreAttributes: false,
      isArray: (name) => ['testsuite', 'testcase'].includes(name),
    });
    for (const { name, doc } of trivyJsonGoldens()) {
      const { report } = scanReportFromTrivy(doc);
      const xml = writeScanReport(report, 'junit');
      expect(XMLValidator.validate(xml), name).toBe(true);
      const parsed = parser.parse(xml) as { testsuites: { testsuite?: { testcase?: unknown[] }[] } };
      const cases = (parsed.testsuites.testsuite ?? []).reduce((n, s) => n + (s.testcase?.length ?? 0), 0);
      expect(cases, name).toBe(report.results.reduce((n, r) => n + (r.vulnerabilities?.length ?? 0), 0));
    }
  });

  it('escapes markup and control characters as Go’s escapeXML does', () => {
    expect(escapeXml(`a<b>&"c'\td\ne\r`)).toBe('a&lt;b&gt;&amp;&#34;c&#39;&#x9;d&#xA;e&#xD;');
  });
});
