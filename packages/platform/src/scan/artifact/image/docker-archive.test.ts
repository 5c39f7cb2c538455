import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import { sharedData } from '../../../testing/shared-data.js';
import { TarIndex } from '../tar-index.js';
import {
  imageConfig,
  sha256,
  tarOf,
  tempDir,
  walkImage,
  writeDockerArchive,
  type DockerArchiveSpec,
  type LayerSpec,
} from '../testdata/build.js';
import type { ImageSource } from '../types.js';
import { openDockerArchive } from './docker-archive.js';
import { openImage } from './resolve.js';

const sources: ImageSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
});

async function opened(p: Promise<ImageSource>): Promise<ImageSource> {
  const s = await p;
  sources.push(s);
  return s;
}

async function rejection(p: Promise<unknown>): Promise<PalisadeError> {
  try {
    const v = await p;
    if (v && typeof v === 'object' && 'close' in v) await (v as ImageSource).close();
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected a rejection');
}

async function twoLayers(): Promise<LayerSpec[]> {
  return [
    {
      tar: await tarOf([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/os-release', body: 'ID=example\nVERSION_ID=1\n' },
        { name: 'etc/motd', body: 'welcome' },
        { name: 'usr/bin/tool', body: 'v1', mode: 0o755 },
      ]),
    },
    {
      tar: await tarOf([
        { name: 'etc/.wh.motd', body: '' },
        { name: 'usr/bin/tool', body: 'v2', mode: 0o755 },
      ]),
    },
  ];
}

async function archive(spec: Partial<DockerArchiveSpec> = {}): Promise<string> {
  return writeDockerArchive(tempDir(), { layers: await twoLayers(), ...spec });
}

describe('docker-archive', () => {
  it('reads a docker save archive with two layers and a whiteout', async () => {
    const layers = await twoLayers();
    const path = await writeDockerArchive(tempDir(), { layers, repoTags: ['example/app:1.0'] });
    const source = await opened(openImage(`docker-archive:${path}`));
    const diffIds = layers.map((l) => sha256(l.tar));
    const index = await TarIndex.open(path);
    const configFile = [...index.entries.keys()].find((k) => k.endsWith('.json') && k !== 'manifest.json');
    await index.close();
    expect(source.info).toEqual({
      name: path,
      type: 'container_image',
      imageId: `sha256:${configFile?.slice(0, 64)}`,
      repoTags: ['example/app:1.0'],
      repoDigests: [],
      diffIds,
      os: 'linux',
      architecture: 'amd64',
      created: '2024-01-02T03:04:05Z',
    });
    // Legacy layer.tar files are uncompressed: their stored digest is the diff_id.
    expect(source.layers.map((l) => [l.digest, l.diffId])).toEqual(diffIds.map((d) => [d, d]));
    expect(source.layers.map((l) => l.size)).toEqual(layers.map((l) => l.tar.length));
    expect(source.config['rootfs']).toEqual({ type: 'layers', diff_ids: diffIds });

    const walked = await walkImage(source, { read: () => true });
    expect(walked[0]?.map((e) => [e.type, e.path, e.content])).toEqual([
      ['dir', 'etc', undefined],
      ['file', 'etc/os-release', 'ID=example\nVERSION_ID=1\n'],
      ['file', 'etc/motd', 'welcome'],
      ['file', 'usr/bin/tool', 'v1'],
    ]);
    expect(walked[1]?.map((e) => [e.type, e.path, e.content])).toEqual([
      ['whiteout', 'etc/motd', undefined],
      ['file', 'usr/bin/tool', 'v2'],
    ]);
  });

  it('is detected from a plain path', async () => {
    const path = await archive();
    const source = await opened(openImage(path));
    expect(source.layers).toHaveLength(2);
    expect(source.info.repoTags).toEqual(['example/app:1.0']);
  });

  it('reads the Docker 25 layout (an OCI layout inside, manifest.json pointing at blobs/) with gzip layers', async () => {
    const layers = (await twoLayers()).map((l) => ({ ...l, compression: 'gzip' as const }));
    const path = await writeDockerArchive(tempDir(), { layers, style: 'blobs' });
    const source = await opened(openImage(path));
    for (const l of source.layers) {
      expect(l.digest).not.toBe(l.diffId); // gzip: the blob digest differs from the diff_id
    }
    const walked = await walkImage(source, { read: (p) => p === 'usr/bin/tool' });
    expect(walked[1]?.find((e) => e.path === 'usr/bin/tool')?.content).toBe('v2');
    expect(walked[1]?.[0]).toMatchObject({ type: 'whiteout', path: 'etc/motd' });
    // The same tar read through its OCI side (index.json) gives the same image.
    const oci = await opened(openImage(`oci-archive:${path}:1.0`));
    expect(oci.layers).toEqual(
      source.layers.map((l) => ({ ...l, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })),
    );
    expect(oci.info).toMatchObject({ imageId: source.info.imageId, diffIds: source.info.diffIds });
    expect(oci.info.repoTags).toEqual(['docker.io/example/app:1.0']);
  });

  it('computes the stored digest of a legacy layer.tar that was gzipped', async () => {
    const layers = await twoLayers();
    const path = await writeDockerArchive(tempDir(), {
      layers: [{ ...layers[0]!, compression: 'gzip' }, layers[1]!],
    });
    const source = await opened(openDockerArchive(path));
    const index = await TarIndex.open(path);
    const entry = index.lookup(
      (
        JSON.parse((await index.read(index.lookup('manifest.json')!, 1 << 20)).toString()) as {
          Layers: string[];
        }[]
      )[0]!.Layers[0]!,
    )!;
    const gz = await index.read(entry, 1 << 20);
    await index.close();
    expect(source.layers[0]?.digest).toBe(sha256(gz));
    expect(source.layers[0]?.diffId).toBe(sha256(layers[0]!.tar));
    const walked = await walkImage(source, { read: (p) => p === 'usr/bin/tool' });
    expect(walked[0]?.find((e) => e.path === 'usr/bin/tool')?.content).toBe('v1');
  });

  it('selects an image of a multi-image archive by tag or position, and lists the tags otherwise', async () => {
    const other = [{ tar: await tarOf([{ name: 'etc/other', body: 'o' }]) }];
    const path = await archive({
      repoTags: ['example/app:1.0'],
      more: [{ layers: other, repoTags: ['other:2'] }],
    });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_USAGE');
    expect(err.hint).toContain('example/app:1.0, other:2');
    const byTag = await opened(openImage(`docker-archive:${path}:other:2`));
    expect(byTag.layers).toHaveLength(1);
    expect(byTag.info.repoTags).toEqual(['other:2']);
    const byPos = await opened(openImage(`docker-archive:${path}:@0`));
    expect(byPos.info.repoTags).toEqual(['example/app:1.0']);
    const missing = await rejection(openImage(`docker-archive:${path}:nope:1`));
    expect(missing.code).toBe('E_NOT_FOUND');
  });

  it('refuses a manifest with 10,000 layers (E_MANIFEST) before reading anything else', async () => {
    const layers = Array.from({ length: 10_000 }, (_, i) => `${i.toString(16).padStart(64, '0')}/layer.tar`);
    // The config is missing too: the layer bound must trip first.
    const path = await archive({ manifest: (m) => ({ ...m, Config: 'missing.json', Layers: layers }) });
    const before = process.memoryUsage().heapUsed;
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toMatch(/manifest\.json: 10000 layers, more than the 1000 allowed/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a manifest whose layer count does not match the diff_ids', async () => {
    const path = await archive({
      manifest: (m) => ({ ...m, Layers: (m['Layers'] as string[]).slice(0, 1) }),
    });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('1 layers but the config');
    expect(err.message).toContain('lists 2 diff_ids');
  });

  it('names the file when a layer blob is missing', async () => {
    const path = await archive({
      manifest: (m) => ({ ...m, Layers: [(m['Layers'] as string[])[0], 'gone/layer.tar'] }),
    });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('layer 2 (gone/layer.tar) is missing');
    expect(err.message).toContain(path);
  });

  it('refuses a layer path that leaves the archive', async () => {
    const path = await archive({
      manifest: (m) => ({ ...m, Layers: ['../../etc/passwd', (m['Layers'] as string[])[1]] }),
    });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('leaves the image');
  });

  it('fails with E_ARCHIVE_TRUNCATED naming the file when the archive is cut short', async () => {
    const path = await archive();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2) + 100));
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toContain(path);
  });

  it('fails the layer stream with E_DIGEST_MISMATCH when a layer was altered', async () => {
    const layers = await twoLayers();
    const path = await writeDockerArchive(tempDir(), { layers });
    // Alter one byte of the first file body inside the second layer.tar, keeping every size.
    const index = await TarIndex.open(path);
    const manifest = JSON.parse((await index.read(index.lookup('manifest.json')!, 1 << 20)).toString()) as {
      Layers: string[];
    }[];
    const entry = index.lookup(manifest[0]!.Layers[1]!)!;
    await index.close();
    const bytes = readFileSync(path);
    const body = bytes
      .subarray(entry.offset, entry.offset + entry.size)
      .toString('latin1')
      .indexOf('v2');
    expect(body).toBeGreaterThan(0);
    bytes[entry.offset + body] = 0x77; // `v2` becomes `w2`
    writeFileSync(path, bytes);
    const source = await opened(openImage(path));
    const err = await rejection(walkImage(source, { read: () => true }));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(manifest[0]!.Layers[1]!);
  });

  it('checks the config against the digest its file name carries', async () => {
    const layers = await twoLayers();
    const forged = `${'0'.repeat(64)}.json`;
    const path = await writeDockerArchive(tempDir(), {
      layers,
      manifest: (m) => ({ ...m, Config: forged }),
      extra: [{ name: forged, body: imageConfig(layers.map((l) => sha256(l.tar))) }],
    });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(forged);
  });

  it('names the config file when it is missing', async () => {
    const path = await archive({ manifest: (m) => ({ ...m, Config: 'nowhere.json' }) });
    const err = await rejection(openImage(path));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('nowhere.json');
  });

  it('refuses a tar that is not a docker-archive', async () => {
    const file = join(tempDir(), 'plain.tar');
    writeFileSync(file, await tarOf([{ name: 'etc/passwd', body: 'x' }]));
    const err = await rejection(openImage(`docker-archive:${file}`));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('no manifest.json');
  });

  describe('with the real Alpine minirootfs tarballs as layers', () => {
    const versions = ['3.12.12', '3.17.10', '3.20.3'];

    it('sees etc/alpine-release and lib/apk/db/installed in every layer', async () => {
      const layers: LayerSpec[] = versions.map((v) => {
        const gz = readFileSync(sharedData('images', 'alpine', `alpine-minirootfs-${v}-x86_64.tar.gz`));
        return { tar: gunzipSync(gz), stored: gz, compression: 'gzip' };
      });
      const path = await writeDockerArchive(tempDir(), { layers, repoTags: ['alpine:multi'] });
      const source = await opened(openImage(path));
      expect(source.info.diffIds).toEqual(layers.map((l) => sha256(l.tar)));
      const walked = await walkImage(source, {
        read: (p) => p === 'etc/alpine-release' || p === 'lib/apk/db/installed',
      });
      for (const [i, v] of versions.entries()) {
        const entries = walked[i] ?? [];
        const release = entries.find((e) => e.path === 'etc/alpine-release');
        const installed = entries.find((e) => e.path === 'lib/apk/db/installed');
        expect(release?.content?.trim()).toBe(v);
        expect(installed?.content).toMatch(/^P:musl$/m);
        expect(installed?.content).toMatch(/^P:alpine-baselayout$/m);
        // Every path is normalized: relative, no `.`/`..` segments.
        for (const e of entries) expect(e.path).toMatch(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$)).+$/);
        // Real layers carry symlinks (busybox applets) reported with their targets.
        expect(entries.find((e) => e.path === 'bin/sh')).toMatchObject({
          type: 'symlink',
          linkTarget: '/bin/busybox',
        });
      }
    });
  });
});
