import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import {
  HAVE_ZSTD,
  sha256,
  tarDirectory,
  tarOf,
  tempDir,
  walkImage,
  writeOciLayout,
  type LayerSpec,
  type OciImageSpec,
} from '../testdata/build.js';
import type { ImageSource } from '../types.js';
import { openOciArchive, openOciLayout } from './oci-layout.js';
import { formatPlatform, hostPlatform } from '../platform.js';
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

async function imageFor(arch: string, compression: LayerSpec['compression'] = 'gzip'): Promise<OciImageSpec> {
  return {
    platform: { os: 'linux', architecture: arch },
    layers: [
      { tar: await tarOf([{ name: 'etc/arch', body: arch }]), compression },
      {
        tar: await tarOf([
          { name: 'etc/.wh.arch', body: '' },
          { name: 'etc/arch2', body: `${arch}!` },
        ]),
        compression,
      },
    ],
  };
}

/** The layout: tag `multi` is an index of amd64 and arm64; tag `single` one amd64 manifest. */
async function layout(): Promise<string> {
  return writeOciLayout(join(tempDir(), 'layout'), {
    images: [
      { tag: 'multi', image: [await imageFor('amd64'), await imageFor('arm64')] },
      { tag: 'single', image: await imageFor('amd64', 'none') },
    ],
  });
}

async function archOf(source: ImageSource): Promise<string | undefined> {
  const walked = await walkImage(source, { read: () => true });
  return walked[0]?.find((e) => e.path === 'etc/arch')?.content;
}

/** Path of a blob of the layout. */
function blob(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

describe('OCI image layout', () => {
  it('selects the platform of a multi-platform index by --platform', async () => {
    const dir = await layout();
    const arm = await opened(openImage(`oci:${dir}:multi`, { platform: 'linux/arm64' }));
    expect(arm.info).toMatchObject({
      type: 'container_image',
      architecture: 'arm64',
      os: 'linux',
      name: dir,
    });
    expect(await archOf(arm)).toBe('arm64');
    const amd = await opened(openImage(`oci:${dir}:multi`, { platform: 'linux/x86_64' }));
    expect(await archOf(amd)).toBe('amd64');
  });

  it('takes the host platform by default', async () => {
    const dir = await layout();
    const host = formatPlatform(hostPlatform());
    if (host !== 'linux/amd64' && host !== 'linux/arm64') {
      const err = await rejection(openImage(`oci:${dir}:multi`));
      expect(err.code).toBe('E_NOT_FOUND');
      return;
    }
    const source = await opened(openImage(`oci:${dir}:multi`));
    expect(source.info.architecture).toBe(hostPlatform().architecture);
  });

  it('lists the available platforms when the requested one is missing', async () => {
    const dir = await layout();
    const err = await rejection(openImage(`oci:${dir}:multi`, { platform: 'linux/s390x' }));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('no image for platform linux/s390x');
    expect(err.hint).toContain('available platforms: linux/amd64, linux/arm64');
  });

  it('fills ArtifactInfo from the manifest, the config and the layers', async () => {
    const dir = await layout();
    const source = await opened(openOciLayout(dir, { tag: 'single' }));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const manifestDigest = index.manifests[1]?.digest as string;
    const manifest = JSON.parse(readFileSync(blob(dir, manifestDigest), 'utf8')) as {
      config: { digest: string };
      layers: { digest: string; size: number; mediaType: string }[];
    };
    expect(source.info).toEqual({
      name: dir,
      type: 'container_image',
      imageId: manifest.config.digest,
      digest: manifestDigest,
      repoTags: [],
      repoDigests: [],
      diffIds: manifest.layers.map((l) => l.digest), // uncompressed layers: blob digest = diff_id
      os: 'linux',
      architecture: 'amd64',
      created: '2024-01-02T03:04:05Z',
    });
    expect(source.layers).toEqual(
      manifest.layers.map((l) => ({
        digest: l.digest,
        diffId: l.digest,
        size: l.size,
        mediaType: l.mediaType,
      })),
    );
    const walked = await walkImage(source, { read: () => true });
    expect(walked[1]?.map((e) => [e.type, e.path, e.content])).toEqual([
      ['whiteout', 'etc/arch', undefined],
      ['file', 'etc/arch2', 'amd64!'],
    ]);
  });

  it('reads the same layout as a tar file (oci-archive), by transport and by detection', async () => {
    const dir = await layout();
    const file = await tarDirectory(dir, join(tempDir(), 'image.oci.tar'));
    const viaTransport = await opened(openImage(`oci-archive:${file}:multi`, { platform: 'linux/arm64' }));
    expect(await archOf(viaTransport)).toBe('arm64');
    const err = await rejection(openImage(file));
    expect(err.code).toBe('E_USAGE'); // detected as an OCI archive holding two images
    const one = writeOciLayout(join(tempDir(), 'one'), {
      images: [{ image: [await imageFor('amd64'), await imageFor('arm64')] }],
    });
    const oneFile = await tarDirectory(one, join(tempDir(), 'one.tar'));
    const detected = await opened(openImage(oneFile, { platform: 'linux/arm64' }));
    expect(await archOf(detected)).toBe('arm64');
  });

  it('asks for a tag when the layout holds several images, and names the tags', async () => {
    const dir = await layout();
    const err = await rejection(openImage(`oci:${dir}`));
    expect(err.code).toBe('E_USAGE');
    expect(err.hint).toContain('multi, single');
    const wrong = await rejection(openImage(`oci:${dir}:nope`));
    expect(wrong.code).toBe('E_NOT_FOUND');
    expect(wrong.hint).toContain('multi, single');
  });

  it('opens a one-image layout without a tag, also when the top index lists two platforms directly', async () => {
    const dir = join(tempDir(), 'flat');
    // No nested index: the two platform manifests sit in index.json itself.
    writeOciLayout(dir, { images: [{ image: await imageFor('amd64') }, { image: await imageFor('arm64') }] });
    const rewritten = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: Record<string, unknown>[];
    };
    rewritten.manifests[0]!['platform'] = { os: 'linux', architecture: 'amd64' };
    rewritten.manifests[1]!['platform'] = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(rewritten));
    const arm = await opened(openImage(`oci:${dir}`, { platform: 'linux/arm64/v8' }));
    expect(await archOf(arm)).toBe('arm64');
    const amd = await opened(openImage(dir, { platform: 'linux/amd64' }));
    expect(await archOf(amd)).toBe('amd64');
  });

  it.skipIf(!HAVE_ZSTD)('reads zstd layers', async () => {
    const dir = writeOciLayout(join(tempDir(), 'z'), {
      images: [{ tag: 'z', image: await imageFor('amd64', 'zstd') }],
    });
    const source = await opened(openImage(`oci:${dir}:z`));
    expect(source.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(await archOf(source)).toBe('amd64');
  });

  it('fails with E_ARCHIVE_TRUNCATED naming a truncated layer blob', async () => {
    const dir = await layout();
    const source = await opened(openOciLayout(dir, { tag: 'single' }));
    const digest = source.layers[1]!.digest;
    await source.close();
    sources.pop();
    truncateSync(blob(dir, digest), 700);
    const err = await rejection(openOciLayout(dir, { tag: 'single' }));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toContain(`blobs/sha256/${digest.slice(7)}`);
  });

  it('fails the layer stream with E_DIGEST_MISMATCH when a blob was altered in place', async () => {
    const dir = await layout();
    const probe = await opened(openOciLayout(dir, { tag: 'single' }));
    const digest = probe.layers[0]!.digest;
    const path = blob(dir, digest);
    const bytes = readFileSync(path);
    const at = bytes.indexOf('amd64');
    bytes[at] = 0x41; // same size, other content
    writeFileSync(path, bytes);
    const source = await opened(openOciLayout(dir, { tag: 'single' }));
    const err = await rejection(walkImage(source, { read: () => true }));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(digest.slice(7));
  });

  it('names a missing layer blob', async () => {
    const dir = await layout();
    const probe = await opened(openOciLayout(dir, { tag: 'single' }));
    const digest = probe.layers[1]!.digest;
    rmSync(blob(dir, digest));
    const err = await rejection(openOciLayout(dir, { tag: 'single' }));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(`blobs/sha256/${digest.slice(7)} of layer 2`);
  });

  it('refuses a manifest with 10,000 layers (E_MANIFEST)', async () => {
    const img = await imageFor('amd64', 'none');
    const fake = Array.from({ length: 10_000 }, (_, i) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: sha256(Buffer.from(String(i))),
      size: 1,
    }));
    const dir = writeOciLayout(join(tempDir(), 'many'), {
      images: [{ image: { ...img, manifest: (m) => ({ ...m, layers: fake }) } }],
    });
    const err = await rejection(openImage(`oci:${dir}`));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('10000 layers, more than the 1000 allowed');
  });

  it('refuses a manifest whose layers do not match the diff_ids', async () => {
    const img = await imageFor('amd64', 'none');
    const dir = writeOciLayout(join(tempDir(), 'short'), {
      images: [
        { image: { ...img, manifest: (m) => ({ ...m, layers: (m['layers'] as unknown[]).slice(1) }) } },
      ],
    });
    const err = await rejection(openImage(`oci:${dir}`));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toMatch(/1 layers but the config .* lists 2 diff_ids/);
  });

  it('checks the digest of the manifest it reads', async () => {
    const dir = await layout();
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const path = blob(dir, index.manifests[1]!.digest);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"schemaVersion":2', '"schemaVersion":3'));
    const err = await rejection(openOciLayout(dir, { tag: 'single' }));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
  });

  it('refuses an artifact that is not a container image', async () => {
    const img = await imageFor('amd64', 'none');
    const dir = writeOciLayout(join(tempDir(), 'helm'), {
      images: [
        {
          image: {
            ...img,
            manifest: (m) => ({
              ...m,
              config: { ...(m['config'] as object), mediaType: 'application/vnd.cncf.helm.config.v1+json' },
            }),
          },
        },
      ],
    });
    const err = await rejection(openImage(`oci:${dir}`));
    expect(err.code).toBe('E_UNSUPPORTED');
  });

  it('refuses a directory without oci-layout', async () => {
    const dir = await layout();
    rmSync(join(dir, 'oci-layout'));
    const err = await rejection(openOciLayout(dir));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('no oci-layout');
  });

  it('refuses a descriptor digest that would walk out of blobs/', async () => {
    const dir = await layout();
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'sha256:../../../etc/passwd', size: 1 }] }),
    );
    const err = await rejection(openOciLayout(dir));
    expect(err.code).toBe('E_MANIFEST');
    expect(err.message).toContain('invalid or unsupported digest');
  });

  it('reads an oci-archive from a tar file with its blobs by offset', async () => {
    const dir = await layout();
    const file = await tarDirectory(dir, join(tempDir(), 'x.tar'));
    const source = await opened(openOciArchive(file, { tag: 'single' }));
    expect(await archOf(source)).toBe('amd64');
  });
});
