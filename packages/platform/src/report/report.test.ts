import type { InventoryReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { decodeSbom } from '../scan/artifact/sbom.js';
import { buildReport } from '../scan/inventory.js';
import { formatInventory } from './index.js';
import { purlFor } from './purl.js';

function sample(): InventoryReport {
  return buildReport(
    { name: 'img.tar', type: 'container_image', imageId: 'sha256:cfg', diffIds: ['sha256:l1'] },
    { family: 'debian', name: '12.5' },
    [
      {
        class: 'os-pkgs',
        type: 'dpkg',
        filePath: 'var/lib/dpkg/status',
        packages: [
          {
            id: 'bsdutils@1:2.38.1-5+b1',
            name: 'bsdutils',
            version: '2.38.1',
            release: '5+b1',
            epoch: 1,
            arch: 'amd64',
            srcName: 'util-linux',
            srcVersion: '2.38.1',
            srcRelease: '5',
            srcEpoch: 0,
            layer: { diffId: 'sha256:l1' },
          },
          {
            name: 'libc6',
            version: '2.36',
            release: '9+deb12u4',
            arch: 'amd64',
            srcName: 'glibc',
            srcVersion: '2.36',
            srcRelease: '9+deb12u4',
          },
        ],
      },
      {
        class: 'lang-pkgs',
        type: 'npm',
        filePath: 'app/package-lock.json',
        packages: [
          { id: '@babel/core@7.0.0', name: '@babel/core', version: '7.0.0', dependsOn: ['debug@4.0.0'] },
          { id: 'debug@4.0.0', name: 'debug', version: '4.0.0', licenses: ['MIT'] },
        ],
      },
      {
        class: 'lang-pkgs',
        type: 'jar',
        filePath: 'opt/a.jar',
        packages: [{ name: 'org.slf4j:slf4j-api', version: '2.0.11' }],
      },
    ],
    [],
  );
}

describe('package URLs', () => {
  it('match the shape Trivy writes for OS and language packages', () => {
    const r = sample();
    const os = r.results[0];
    expect(os?.target).toBe('img.tar (debian 12.5)');
    const [bsd] = os?.packages ?? [];
    expect(bsd && purlFor(bsd, 'os-pkgs', 'dpkg', r.os)).toBe(
      'pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.5&epoch=1',
    );
    expect(
      purlFor({ name: 'musl', version: '1.2.3-r4', arch: 'x86_64' }, 'os-pkgs', 'apk', {
        family: 'alpine',
        name: '3.17.10',
      }),
    ).toBe('pkg:apk/alpine/musl@1.2.3-r4?arch=x86_64&distro=3.17.10');
    expect(purlFor({ name: '@babel/core', version: '7.0.0' }, 'lang-pkgs', 'npm', undefined)).toBe(
      'pkg:npm/%40babel/core@7.0.0',
    );
    expect(purlFor({ name: 'org.slf4j:slf4j-api', version: '2.0.11' }, 'lang-pkgs', 'jar', undefined)).toBe(
      'pkg:maven/org.slf4j/slf4j-api@2.0.11',
    );
    expect(purlFor({ name: 'Django_Rest', version: '1.0' }, 'lang-pkgs', 'pip', undefined)).toBe(
      'pkg:pypi/django-rest@1.0',
    );
    expect(purlFor({ name: 'github.com/x/y', version: 'v1.2.3' }, 'lang-pkgs', 'gomod', undefined)).toBe(
      'pkg:golang/github.com/x/y@v1.2.3',
    );
  });
});

describe('results', () => {
  it('group individually installed packages by ecosystem and lockfiles by path, as Trivy', () => {
    expect(sample().results.map((r) => [r.target, r.type])).toEqual([
      ['img.tar (debian 12.5)', 'debian'],
      ['app/package-lock.json', 'npm'],
      ['Java', 'jar'],
    ]);
  });
});

describe('formats', () => {
  it('table names every package and target', () => {
    const t = formatInventory(sample(), 'table');
    for (const s of ['bsdutils', '1:2.38.1-5+b1', 'util-linux', '@babel/core', 'Java', 'opt/a.jar'])
      expect(t).toContain(s);
  });

  it('CycloneDX 1.6 round-trips through the SBOM reader', () => {
    const text = formatInventory(sample(), 'cyclonedx');
    const bom = JSON.parse(text) as {
      specVersion: string;
      components: { purl?: string }[];
      dependencies: { ref: string; dependsOn: string[] }[];
    };
    expect(bom.specVersion).toBe('1.6');
    expect(bom.dependencies.find((d) => d.ref === 'pkg:npm/%40babel/core@7.0.0')?.dependsOn).toEqual([
      'pkg:npm/debug@4.0.0',
    ]);
    const back = decodeSbom(text, 'x.cdx.json');
    expect(back.os).toEqual({ family: 'debian', name: '12.5' });
    const osSet = back.packageSets.find((s) => s.class === 'os-pkgs');
    expect(osSet?.packages.find((p) => p.name === 'bsdutils')).toMatchObject({
      version: '2.38.1',
      release: '5+b1',
      epoch: 1,
      srcName: 'util-linux',
      arch: 'amd64',
    });
    const names = back.packageSets
      .flatMap((s) => s.packages.map((p) => `${s.type}:${p.name}@${p.version}`))
      .sort();
    expect(names).toEqual([
      'dpkg:bsdutils@2.38.1',
      'dpkg:libc6@2.36',
      'jar:org.slf4j:slf4j-api@2.0.11',
      'npm:@babel/core@7.0.0',
      'npm:debug@4.0.0',
    ]);
  });

  it('SPDX 2.3 round-trips through the SBOM reader and has valid SPDX ids', () => {
    const text = formatInventory(sample(), 'spdx-json');
    const doc = JSON.parse(text) as {
      spdxVersion: string;
      packages: { SPDXID: string }[];
      relationships: unknown[];
    };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(doc.packages.map((p) => p.SPDXID)).size).toBe(doc.packages.length);
    const back = decodeSbom(text, 'x.spdx.json');
    expect(back.os).toEqual({ family: 'debian', name: '12.5' });
    expect(back.packageSets.flatMap((s) => s.packages).length).toBe(5);
  });

  it('rejects an unknown format with the list of known ones', () => {
    expect(() => formatInventory(sample(), 'xml')).toThrow(/unknown format 'xml'/);
  });
});
