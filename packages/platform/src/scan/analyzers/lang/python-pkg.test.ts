import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './python-pkg.js';

const DIR = 'pkg/dependency/parser/python/packaging/testdata/';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

describe('lang/python-pkg', () => {
  // Trivy's packaging parser tests (name, version, licenses after Trivy's license split).
  const table: [string, string, string, string[] | undefined][] = [
    ['setuptools-51.3.3-py3.8.egg-info.PKG-INFO', 'setuptools', '51.3.3', ['UNKNOWN']],
    ['unidecode-egg-info.PKG-INFO', 'Unidecode', '0.4.1', ['UNKNOWN']],
    ['distlib-0.3.1-py3.9.egg-info', 'distlib', '0.3.1', ['Python license']],
    ['simple-0.1.0.METADATA', 'simple', '0.1.0', undefined],
    ['distlib-0.3.1.METADATA', 'distlib', '0.3.1', ['Python Software Foundation License']],
    ['asyncssh-2.14.2.METADATA', 'asyncssh', '2.14.2', ['Eclipse Public License v2.0']],
    [
      'pyphen-0.14.0.METADATA',
      'pyphen',
      '0.14.0',
      [
        'GNU General Public License v2 or later (GPLv2+)',
        'GNU Lesser General Public License v2 or later (LGPLv2+)',
        'Mozilla Public License 1.1 (MPL 1.1)',
      ],
    ],
    ['iniconfig-2.0.0.METADATA', 'iniconfig', '2.0.0', ['MIT']],
    ['zipp-3.12.1.METADATA', 'zipp', '3.12.1', ['MIT License']],
    // Trivy classifies the License-File (file://LICENSE.txt); there is no classifier here.
    ['networkx-3.0.METADATA', 'networkx', '3.0', undefined],
  ];
  for (const [fixture, name, version, licenses] of table) {
    it(`reads ${fixture}`, async () => {
      const path = 'usr/lib/python3/site-packages/x.dist-info/METADATA';
      const { sets, diagnostics } = await run(analyzerFile(trivyFixture(DIR + fixture), path));
      expect(diagnostics).toEqual([]);
      expect(sets).toEqual([
        {
          class: 'lang-pkgs',
          type: 'python-pkg',
          filePath: path,
          packages: [{ name, version, filePath: path, ...(licenses ? { licenses } : {}) }],
        },
      ]);
    });
  }

  it('reports metadata without name or version with file and line, and does not throw', async () => {
    const { sets, diagnostics } = await run(
      analyzerFile(trivyFixture(DIR + 'invalid.json'), 'a.dist-info/METADATA'),
    );
    expect(sets).toEqual([]);
    expect(diagnostics).toEqual([
      {
        code: 'PARSE_ERROR',
        severity: 'warning',
        message: 'python package metadata: name or version is empty',
        location: { file: 'a.dist-info/METADATA', line: 1 },
      },
    ]);
  });

  it('reads a truncated METADATA as far as its headers go', async () => {
    const content = Buffer.from('Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nLicense: MI');
    const { sets } = await run({
      path: 'a/foo-1.0.dist-info/METADATA',
      content,
      size: content.length,
      mode: 0o644,
    });
    expect(sets[0]?.packages[0]).toMatchObject({ name: 'foo', version: '1.0', licenses: ['MI'] });
  });

  it('wants wheel and egg metadata only', () => {
    const info = { size: 1, mode: 0o644 };
    for (const p of [
      'usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA',
      'usr/lib/python3/dist-packages/distlib-0.3.1.egg-info',
      'usr/lib/python3/dist-packages/foo.egg-info/PKG-INFO',
      'usr/lib/python3/dist-packages/foo.egg-info/METADATA',
      'usr/lib/python3/site-packages/foo.egg/EGG-INFO/PKG-INFO',
    ])
      expect(analyzer.required(p, info), p).toBe(true);
    for (const p of ['usr/lib/METADATA', 'x.dist-info/RECORD', 'x.dist-info/LICENSE', 'setup.py'])
      expect(analyzer.required(p, info), p).toBe(false);
  });
});
