/**
 * Inventory agreement with Trivy on real images (debootstrap bookworm and bullseye, the Alpine
 * 3.12/3.17/3.20 minirootfs images, and a two-layer image with a whiteout), built by
 * scripts/test-images.sh and scanned by the Trivy binary (scripts/trivy-peer.sh) in the same
 * environment. Every field Trivy reports for a package is compared except the ones listed in
 * NOT_COMPARED with the reason; the agreement rate is printed with every difference.
 */
import type { InventoryReport, Package } from '@palisade/api';
import { PackageURL } from 'packageurl-js';
import { afterAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { formatInventory } from '../packages/platform/src/report/index.js';
import { openImage } from '../packages/platform/src/scan/artifact/image/resolve.js';
import { inventoryDirectory, inventoryImage } from '../packages/platform/src/scan/inventory.js';
import type { TestImageForm, TestImageName, TrivyPackage } from '../packages/platform/src/testing/images.js';
import {
  testImage,
  testImageNames,
  trivyOutput,
  trivyPackages,
} from '../packages/platform/src/testing/images.js';

/**
 * Fields of Trivy's package JSON we do not compare, with why:
 * - Licenses: Trivy v0.44 reads dpkg copyright files and normalises apk licence names
 *   (GPL-2.0-only → GPL-2.0); license scanning is a later issue (docs/conformance/inventory.md).
 * - Maintainer, Digest, DependsOn: not part of the package identity users compare; DependsOn is
 *   compared separately below where we produce it.
 * - ID: compared through name/version/release/epoch; Trivy's ID is derived from them.
 */
function comparable(p: {
  name: string;
  version: string;
  release?: string | undefined;
  epoch?: number | undefined;
  arch?: string | undefined;
  srcName?: string | undefined;
  srcVersion?: string | undefined;
  srcRelease?: string | undefined;
  srcEpoch?: number | undefined;
  layer?: string | undefined;
}): string {
  return [
    p.name,
    p.version,
    p.release ?? '',
    p.epoch ?? 0,
    p.arch ?? '',
    p.srcName ?? '',
    p.srcVersion ?? '',
    p.srcRelease ?? '',
    p.srcEpoch ?? 0,
    p.layer ?? '',
  ].join(' | ');
}

function fromTrivy(p: TrivyPackage, withLayer: boolean): string {
  return comparable({
    name: p.Name,
    version: p.Version,
    release: p.Release,
    epoch: p.Epoch,
    arch: p.Arch,
    srcName: p.SrcName,
    srcVersion: p.SrcVersion,
    srcRelease: p.SrcRelease,
    srcEpoch: p.SrcEpoch,
    layer: withLayer ? p.Layer?.DiffID : undefined,
  });
}

function fromPalisade(p: Package, withLayer: boolean): string {
  return comparable({ ...p, layer: withLayer ? p.layer?.diffId : undefined });
}

function osPackages(report: InventoryReport): Package[] {
  return report.results.filter((r) => r.class === 'os-pkgs').flatMap((r) => r.packages);
}

/**
 * Purls are compared by meaning: Trivy v0.44 (the peer here) leaves `+` unencoded and does not sort
 * qualifiers, current Trivy writes `%2B` and sorts them, as the purl spec asks and as we do.
 */
function canonicalPurl(purl: string): string {
  const p = PackageURL.fromString(purl);
  const q = Object.entries(p.qualifiers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return `${p.type}/${p.namespace ?? ''}/${p.name}@${p.version ?? ''}?${q.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

interface Tally {
  image: string;
  form: string;
  trivy: number;
  palisade: number;
  agree: number;
  onlyTrivy: string[];
  onlyPalisade: string[];
}
const tallies: Tally[] = [];

function compare(image: string, form: string, ours: string[], theirs: string[]): Tally {
  const a = new Set(ours);
  const b = new Set(theirs);
  const t: Tally = {
    image,
    form,
    trivy: b.size,
    palisade: a.size,
    agree: [...a].filter((x) => b.has(x)).length,
    onlyTrivy: [...b].filter((x) => !a.has(x)).sort(),
    onlyPalisade: [...a].filter((x) => !b.has(x)).sort(),
  };
  tallies.push(t);
  return t;
}

async function scanImage(
  name: TestImageName,
  form: Exclude<TestImageForm, 'rootfs'>,
): Promise<InventoryReport> {
  const source = await openImage(testImage(name, form), { logger: nullLogger });
  try {
    return await inventoryImage(source, { logger: nullLogger });
  } finally {
    await source.close();
  }
}

describe('package inventory agrees with Trivy on real images', () => {
  for (const name of testImageNames) {
    describe(name, () => {
      it('docker-archive: OS, version, release, epoch, arch, source package and layer of every package', async () => {
        const report = await scanImage(name, 'docker-archive');
        const theirs = trivyPackages(name)
          .filter((p) => p.resultClass === 'os-pkgs')
          .map((p) => fromTrivy(p, true));
        const t = compare(
          name,
          'docker-archive',
          osPackages(report).map((p) => fromPalisade(p, true)),
          theirs,
        );
        expect(theirs.length).toBeGreaterThan(10);
        expect(t.onlyTrivy).toEqual([]);
        expect(t.onlyPalisade).toEqual([]);
        expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const meta = (trivyOutput(name) as { Metadata?: { OS?: { Family: string; Name: string } } }).Metadata;
        expect(report.os).toEqual({ family: meta?.OS?.Family, name: meta?.OS?.Name });
      });

      it('CycloneDX names every OS package with the purl Trivy writes', async () => {
        const report = await scanImage(name, 'docker-archive');
        const ours = (
          JSON.parse(formatInventory(report, 'cyclonedx')) as { components: { purl?: string }[] }
        ).components
          .map((c) => c.purl)
          .filter((p): p is string => p !== undefined && /^pkg:(deb|apk|rpm)\//.test(p))
          .map(canonicalPurl)
          .sort();
        const theirs = (trivyOutput(name, 'cyclonedx') as { components?: { purl?: string }[] }).components
          ?.map((c) => c.purl)
          .filter((p): p is string => p !== undefined && /^pkg:(deb|apk|rpm)\//.test(p))
          .map(canonicalPurl)
          .sort();
        const t = compare(name, 'cyclonedx purl', ours, theirs ?? []);
        expect(t.onlyTrivy).toEqual([]);
        expect(t.onlyPalisade).toEqual([]);
      });

      it('OCI layout and OCI archive give the same inventory as the docker-archive', async () => {
        const base = osPackages(await scanImage(name, 'docker-archive')).map((p) => fromPalisade(p, true));
        for (const form of ['oci', 'oci-archive'] as const) {
          const other = osPackages(await scanImage(name, form)).map((p) => fromPalisade(p, true));
          expect(other, form).toEqual(base);
        }
      });

      it('rootfs: the unpacked file system gives the packages Trivy rootfs gives', async () => {
        const report = await inventoryDirectory(testImage(name, 'rootfs'), 'rootfs', name, {
          logger: nullLogger,
        });
        const theirs = trivyPackages(name, 'rootfs')
          .filter((p) => p.resultClass === 'os-pkgs')
          .map((p) => fromTrivy(p, false));
        const t = compare(
          name,
          'rootfs',
          osPackages(report).map((p) => fromPalisade(p, false)),
          theirs,
        );
        expect(t.onlyTrivy).toEqual([]);
        expect(t.onlyPalisade).toEqual([]);
      });
    });
  }
});

afterAll(() => {
  if (tallies.length === 0) return;
  const total = tallies.reduce((n, t) => n + t.trivy, 0);
  const agree = tallies.reduce((n, t) => n + t.agree, 0);
  const lines = [
    `Trivy inventory agreement: ${agree}/${total} packages (${((100 * agree) / Math.max(total, 1)).toFixed(2)}%)`,
  ];
  for (const t of tallies) {
    lines.push(`  ${t.image} ${t.form}: ${t.agree}/${t.trivy} agree (palisade lists ${t.palisade})`);
    for (const x of t.onlyTrivy) lines.push(`    only Trivy:    ${x}`);
    for (const x of t.onlyPalisade) lines.push(`    only Palisade: ${x}`);
  }
  console.log(lines.join('\n'));
});
