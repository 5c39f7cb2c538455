import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { sharedData } from '../../testing/shared-data.js';
import { decodeSbom } from './sbom.js';

const golden = (name: string) => sharedData('scan/trivy-integration/integration/testdata', name);

/** Counts components with a purl in a CycloneDX document, at any depth. */
function countPurls(list: unknown): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  for (const c of list as { purl?: string; components?: unknown }[])
    n += (c.purl ? 1 : 0) + countPurls(c.components);
  return n;
}

describe('reading SBOMs made by Trivy', () => {
  for (const name of [
    'npm-cyclonedx.json.golden',
    'pom-cyclonedx.json.golden',
    'fluentd-multiple-lockfiles.cdx.json.golden',
    'conda-cyclonedx.json.golden',
  ]) {
    it(`reads every package of ${name}`, () => {
      const text = readFileSync(golden(name), 'utf8');
      const sbom = decodeSbom(text, name);
      const expected = countPurls((JSON.parse(text) as { components?: unknown }).components);
      expect(expected).toBeGreaterThan(0);
      expect(sbom.packageSets.flatMap((s) => s.packages).length).toBe(expected);
      expect(sbom.diagnostics.items).toEqual([]);
    });
  }

  it('keeps Trivy package types and file paths from its properties', () => {
    const sbom = decodeSbom(readFileSync(golden('conda-cyclonedx.json.golden'), 'utf8'), 'x');
    expect(sbom.packageSets.map((s) => s.type)).toEqual(['conda-pkg']);
    expect(sbom.packageSets[0]?.packages[0]?.filePath).toMatch(/conda-meta/);
  });

  it('reads a Trivy SPDX document', () => {
    const sbom = decodeSbom(readFileSync(golden('conda-spdx.json.golden'), 'utf8'), 'x');
    expect(sbom.format).toBe('spdx');
    expect(
      sbom.packageSets
        .flatMap((s) => s.packages)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['openssl', 'pip']);
  });
});

describe('bad SBOM input', () => {
  it('names the file when the JSON is invalid', () => {
    expect(() => decodeSbom('{"bomFormat": "CycloneDX", ', 'broken.json')).toThrow(PalisadeError);
  });

  it('refuses a JSON document that is neither CycloneDX nor SPDX', () => {
    expect(() => decodeSbom('{"hello": 1}', 'x.json')).toThrow(/unrecognised SBOM/);
  });

  it('counts an invalid purl as a warning and goes on', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 'a', version: '1', purl: 'not a purl' },
        { type: 'library', name: 'b', version: '2', purl: 'pkg:npm/b@2' },
      ],
    };
    const sbom = decodeSbom(JSON.stringify(doc), 'x.json');
    expect(sbom.diagnostics.items.map((d) => d.code)).toContain('SBOM_BAD_PURL');
    expect(sbom.packageSets.flatMap((s) => s.packages).map((p) => p.name)).toEqual(['b']);
  });
});
