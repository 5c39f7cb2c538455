import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hasTestImage,
  testImage,
  testImageNames,
  testImageStamp,
  trivyBinary,
  trivyPackages,
} from './images.js';

function tarEntry(tarFile: string, entry: string): string {
  const run = spawnSync('tar', ['-xOf', tarFile, entry], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tar -xOf ${tarFile} ${entry}: ${run.stderr}`);
  return run.stdout;
}

describe('test image helper without a cache', () => {
  const saved = process.env['PALISADE_CACHE'];
  afterEach(() => {
    if (saved === undefined) delete process.env['PALISADE_CACHE'];
    else process.env['PALISADE_CACHE'] = saved;
  });

  it('tells to run scripts/test-images.sh when an image is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'palisade-cache-'));
    process.env['PALISADE_CACHE'] = empty;
    try {
      expect(hasTestImage('bookworm')).toBe(false);
      expect(() => testImage('bookworm', 'oci')).toThrow(/scripts\/test-images\.sh/);
      expect(trivyBinary()).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

// .ci/install.sh builds the images; a developer without them sees these suites skipped and the
// message above tells how to build them.
const built = testImageNames.filter((name) => hasTestImage(name));
if (built.length < testImageNames.length) {
  console.log(
    `test images not built: ${testImageNames.filter((n) => !built.includes(n)).join(', ')} (run scripts/test-images.sh)`,
  );
}

describe.skipIf(built.length < testImageNames.length)('built test images', () => {
  it.each(testImageNames)('%s exists in every form with one tag', (name) => {
    const stamp = testImageStamp(name);
    for (const form of ['oci', 'oci-archive', 'docker-archive', 'rootfs'] as const) {
      expect(existsSync(testImage(name, form))).toBe(true);
    }
    const index = JSON.parse(readFileSync(join(testImage(name, 'oci'), 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]?.digest).toBe(stamp.manifestDigest);
    expect(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name']).toBe(stamp.tag);
    const docker = JSON.parse(tarEntry(testImage(name, 'docker-archive'), 'manifest.json')) as {
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(docker[0]?.RepoTags).toEqual([stamp.reference]);
    expect(docker[0]?.Layers).toHaveLength(stamp.diffIds.length);
  });

  it('the whiteout image deletes files of its base layer in a second layer', () => {
    const base = testImageStamp('alpine-3.20');
    const whiteout = testImageStamp('alpine-whiteout');
    expect(whiteout.diffIds).toHaveLength(2);
    expect(whiteout.diffIds[0]).toBe(base.diffIds[0]);
    const baseRoot = testImage('alpine-3.20', 'rootfs');
    const root = testImage('alpine-whiteout', 'rootfs');
    for (const removed of ['etc/motd', 'etc/periodic', 'usr/bin/scanelf', 'sbin/ldconfig']) {
      expect(existsSync(join(baseRoot, removed)), removed).toBe(true);
      expect(existsSync(join(root, removed)), removed).toBe(false);
    }
    expect(readFileSync(join(root, 'etc/palisade/fixture.txt'), 'utf8')).toBe('added by the second layer\n');
    const installed = readFileSync(join(root, 'lib/apk/db/installed'), 'utf8');
    expect(installed).not.toMatch(/^P:scanelf$/m);
    expect(installed).toMatch(/^P:musl$/m);
  });
});

describe.skipIf(built.length < testImageNames.length || trivyBinary() === undefined)(
  'Trivy peer output',
  () => {
    it('lists the packages apk del removed in the base image only', () => {
      const base = trivyPackages('alpine-3.20').map((p) => p.Name);
      const whiteout = trivyPackages('alpine-whiteout').map((p) => p.Name);
      expect(base).toContain('scanelf');
      expect(base).toContain('musl-utils');
      expect(whiteout).not.toContain('scanelf');
      expect(whiteout).not.toContain('musl-utils');
      expect(whiteout).toHaveLength(base.length - 2);
    });

    it('reports dpkg packages with Debian revision and epoch split out', () => {
      const packages = trivyPackages('bookworm').filter((p) => p.resultClass === 'os-pkgs');
      expect(packages.length).toBeGreaterThan(50);
      const withEpoch = packages.filter((p) => p.Epoch !== undefined);
      expect(withEpoch.length).toBeGreaterThan(0);
      for (const p of withEpoch) {
        expect(p.ID).toBe(`${p.Name}@${p.Epoch}:${p.Version}-${p.Release}`);
      }
      const layer = testImageStamp('bookworm').diffIds[0];
      for (const p of packages) expect(p.Layer?.DiffID).toBe(layer);
    });
  },
);
