/**
 * openRegistryImage against a real registry (Debian's docker-registry) on loopback.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { PushedImage, TestRegistry } from '../../../testing/registry.js';
import {
  DOCKER_MANIFEST,
  buildLayer,
  imageConfig,
  pushBlob,
  pushImage,
  pushIndex,
  pushManifest,
  sha256,
  startProxy,
  startRegistry,
} from '../../../testing/registry.js';
import { openRegistryImage } from './index.js';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<PalisadeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected a rejection');
}

/** Records every URL fetched, to check what the client downloads. */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(
        input instanceof URL
          ? input.pathname
          : typeof input === 'string'
            ? new URL(input).pathname
            : input.url,
      );
      return fetch(input, init);
    },
  };
}

// No credentials from the machine's own ~/.docker/config.json leak into these tests.
const NO_DOCKER_CONFIG = '/nonexistent/palisade-test/config.json';

let reg: TestRegistry;
let app: PushedImage;

beforeAll(async () => {
  reg = await startRegistry();
  const l1 = await buildLayer([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', content: 'ID=test\nVERSION_ID=1\n' },
  ]);
  const l2 = await buildLayer([{ path: 'app/main.js', content: 'console.log(1)\n'.repeat(5000) }]);
  app = await pushImage(reg, 'team/app', { layers: [l1, l2], tag: '1.0' });
});

afterAll(async () => {
  await reg?.stop();
});

describe('anonymous pull', () => {
  it('resolves a tag to the image, its config and layers', async () => {
    const ref = `${reg.host}/team/app:1.0`;
    const img = await openRegistryImage(ref, { dockerConfigPath: NO_DOCKER_CONFIG });
    expect(img.info).toEqual({
      name: ref,
      type: 'container_image',
      imageId: app.configDigest,
      digest: app.manifestDigest,
      repoTags: [`${reg.host}/team/app:1.0`],
      repoDigests: [`${reg.host}/team/app@${app.manifestDigest}`],
      diffIds: app.layers.map((l) => l.diffId),
      os: 'linux',
      architecture: 'amd64',
      created: '2024-01-02T03:04:05Z',
    });
    expect(img.layers).toEqual(
      app.layers.map((l) => ({
        digest: l.digest,
        diffId: l.diffId,
        size: l.size,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      })),
    );
    expect(img.config).toEqual(app.config);
    for (let i = 0; i < app.layers.length; i++) {
      expect((await readAll(await img.openLayer(i))).equals(app.layers[i]!.blob)).toBe(true);
    }
    await img.close();
  });

  it('downloads only the manifest and config when opening, and only the asked layer after', async () => {
    const rec = recordingFetch();
    const img = await openRegistryImage(`${reg.host}/team/app:1.0`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
      fetch: rec.fetch,
    });
    expect(rec.urls).toEqual([`/v2/team/app/manifests/1.0`, `/v2/team/app/blobs/${app.configDigest}`]);
    await readAll(await img.openLayer(1));
    expect(rec.urls.slice(2)).toEqual([`/v2/team/app/blobs/${app.layers[1]!.digest}`]);
  });

  it('pulls by digest and by tag@digest; repoTags only for references by tag, as Trivy', async () => {
    const byDigest = await openRegistryImage(`${reg.host}/team/app@${app.manifestDigest}`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    expect(byDigest.info.repoTags).toEqual([]);
    expect(byDigest.info.repoDigests).toEqual([`${reg.host}/team/app@${app.manifestDigest}`]);
    expect(byDigest.info.imageId).toBe(app.configDigest);
    const both = await openRegistryImage(`${reg.host}/team/app:1.0@${app.manifestDigest}`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    expect(both.info.repoTags).toEqual([]);
    expect(both.info.digest).toBe(app.manifestDigest);
  });

  it('reads Docker schema 2 manifests', async () => {
    const layer = await buildLayer([{ path: 'hello.txt', content: 'hi\n' }]);
    const img = await pushImage(reg, 'team/docker-format', { layers: [layer], tag: 'v1', format: 'docker' });
    const src = await openRegistryImage(`${reg.host}/team/docker-format:v1`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    expect(src.info.digest).toBe(img.manifestDigest);
    expect(src.layers[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect((await readAll(await src.openLayer(0))).equals(layer.blob)).toBe(true);
  });

  it('implies :latest', async () => {
    const layer = await buildLayer([{ path: 'x', content: 'x' }]);
    const img = await pushImage(reg, 'latestonly', { layers: [layer], tag: 'latest' });
    const src = await openRegistryImage(`${reg.host}/latestonly`, { dockerConfigPath: NO_DOCKER_CONFIG });
    expect(src.info.repoTags).toEqual([`${reg.host}/latestonly:latest`]);
    expect(src.info.digest).toBe(img.manifestDigest);
  });

  it('scans a single-platform image even when another platform was asked for, with a warning (as Trivy)', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (a: unknown, b?: string) => {
        warnings.push(typeof a === 'string' ? a : (b ?? ''));
      },
      child: () => logger,
    };
    const src = await openRegistryImage(`${reg.host}/team/app:1.0`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
      platform: 'linux/arm64',
      logger,
    });
    expect(src.info.architecture).toBe('amd64');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/single-platform image for linux\/amd64.*linux\/arm64 was requested/);
  });

  it('a layer stream stops with E_ABORTED when its signal fires', async () => {
    const big = await buildLayer([{ path: 'random.bin', content: randomBytes(4 << 20) }]);
    await pushImage(reg, 'team/big', { layers: [big], tag: 'v1' });
    const src = await openRegistryImage(`${reg.host}/team/big:v1`, { dockerConfigPath: NO_DOCKER_CONFIG });
    const ac = new AbortController();
    const stream = await src.openLayer(0, ac.signal);
    let received = 0;
    const err = await rejection(
      (async () => {
        for await (const c of stream) {
          received += (c as Buffer).length;
          ac.abort();
        }
      })(),
    );
    expect(err.code).toBe('E_ABORTED');
    expect(received).toBeLessThan(big.size);
  });

  it('rejects an out-of-range layer index', async () => {
    const img = await openRegistryImage(`${reg.host}/team/app:1.0`, { dockerConfigPath: NO_DOCKER_CONFIG });
    expect((await rejection(img.openLayer(2))).code).toBe('E_USAGE');
  });
});

describe('not found', () => {
  it('a missing tag is E_NOT_FOUND naming the reference', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/team/app:nope`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(`${reg.host}/team/app:nope`);
    expect(err.hint).toBeTruthy();
  });

  it('a missing repository is E_NOT_FOUND', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/no/such/repo`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(`${reg.host}/no/such/repo:latest`);
  });

  it('a missing digest is E_NOT_FOUND', async () => {
    const d = sha256('nothing');
    const err = await rejection(
      openRegistryImage(`${reg.host}/team/app@${d}`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(d);
  });

  it('an unreachable registry is E_REGISTRY', async () => {
    const err = await rejection(
      openRegistryImage('127.0.0.1:1/x:y', { dockerConfigPath: NO_DOCKER_CONFIG, retries: 0 }),
    );
    expect(err.code).toBe('E_REGISTRY');
    expect(err.message).toContain('127.0.0.1:1');
  });

  it('a cancelled signal is E_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(
      openRegistryImage(`${reg.host}/team/app:1.0`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        signal: ac.signal,
      }),
    );
    expect(err.code).toBe('E_ABORTED');
  });
});

describe('multi-platform index', () => {
  const images: Record<string, PushedImage> = {};
  let indexDigest: string;
  let listDigest: string;

  beforeAll(async () => {
    const platforms = [
      { key: 'amd64', platform: { os: 'linux', architecture: 'amd64' } },
      { key: 'arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { key: 'armv7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { key: 'armv6', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    ];
    for (const p of platforms) {
      const layer = await buildLayer([{ path: 'arch.txt', content: `${p.key}\n` }]);
      images[p.key] = await pushImage(reg, 'multi/app', { layers: [layer], platform: p.platform });
      images[`${p.key}-docker`] = await pushImage(reg, 'multi/app', {
        layers: [layer],
        platform: p.platform,
        format: 'docker',
      });
    }
    // A BuildKit-style attestation entry: platform unknown/unknown, never chosen or listed.
    const att = await buildLayer([{ path: 'attestation.json', content: '{}' }]);
    const attestation = await pushImage(reg, 'multi/app', {
      layers: [att],
      platform: { os: 'unknown', architecture: 'unknown' },
    });
    const entries = platforms.map((p) => ({ image: images[p.key]!, platform: p.platform }));
    indexDigest = (
      await pushIndex(reg, 'multi/app', 'oci', [
        { image: attestation, platform: { os: 'unknown', architecture: 'unknown' } },
        ...entries,
      ])
    ).digest;
    listDigest = (
      await pushIndex(
        reg,
        'multi/app',
        'docker',
        platforms.map((p) => ({ image: images[`${p.key}-docker`]!, platform: p.platform })),
        'docker',
      )
    ).digest;
  });

  const cases: Array<[string | undefined, string]> = [
    [undefined, 'amd64'],
    ['linux/amd64', 'amd64'],
    ['linux/x86_64', 'amd64'],
    ['linux/arm64', 'arm64'],
    ['linux/arm64/v8', 'arm64'],
    ['linux/aarch64', 'arm64'],
    ['linux/arm', 'armv7'],
    ['linux/arm/v7', 'armv7'],
    ['linux/arm/v6', 'armv6'],
  ];
  for (const tag of ['oci', 'docker'] as const) {
    for (const [platform, key] of cases) {
      it(`${tag} index: ${platform ?? 'default platform'} selects ${key}`, async () => {
        const want = images[tag === 'oci' ? key : `${key}-docker`]!;
        const src = await openRegistryImage(`${reg.host}/multi/app:${tag}`, {
          dockerConfigPath: NO_DOCKER_CONFIG,
          ...(platform ? { platform } : {}),
        });
        expect(src.info.digest).toBe(want.manifestDigest);
        expect(src.info.imageId).toBe(want.configDigest);
        expect(src.info.repoDigests).toEqual([
          `${reg.host}/multi/app@${tag === 'oci' ? indexDigest : listDigest}`,
        ]);
        const arch = (await readAll(await src.openLayer(0))).equals(want.layers[0]!.blob);
        expect(arch).toBe(true);
      });
    }
  }

  it('an unknown platform is an error listing the available ones', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/multi/app:oci`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        platform: 'linux/s390x',
      }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('linux/s390x');
    expect(err.message).toContain('available: linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6');
    expect(err.message).not.toContain('unknown');
  });

  it('arm/v5 accepts no v6/v7 image (a v5 machine cannot run them)', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/multi/app:oci`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        platform: 'linux/arm/v5',
      }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
  });

  it('an invalid platform string is E_USAGE', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/multi/app:oci`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        platform: 'linux',
      }),
    );
    expect(err.code).toBe('E_USAGE');
  });

  it('pulling the index by digest verifies it and resolves the platform', async () => {
    const src = await openRegistryImage(`${reg.host}/multi/app@${indexDigest}`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
      platform: 'linux/arm64',
    });
    expect(src.info.digest).toBe(images['arm64']!.manifestDigest);
    expect(src.info.repoDigests).toEqual([`${reg.host}/multi/app@${indexDigest}`]);
  });
});

describe('integrity', () => {
  it('a tampered layer blob fails the stream with E_DIGEST_MISMATCH at its end', async () => {
    const layer = await buildLayer([{ path: 'data.bin', content: Buffer.alloc(200_000, 7) }]);
    const img = await pushImage(reg, 'tamper/layer', { layers: [layer], tag: 'v1' });
    const file = reg.blobPath(img.layers[0]!.digest);
    const bytes = await readFile(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff; // same size, different content
    await writeFile(file, bytes);
    const src = await openRegistryImage(`${reg.host}/tamper/layer:v1`, {
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    const stream = await src.openLayer(0);
    let received = 0;
    const err = await rejection(
      (async () => {
        for await (const c of stream) received += (c as Buffer).length;
      })(),
    );
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(img.layers[0]!.digest);
    expect(received).toBe(layer.size); // all bytes passed; the failure comes at the end
  });

  it('a tampered config is E_DIGEST_MISMATCH when opening', async () => {
    const layer = await buildLayer([{ path: 'a', content: 'a' }]);
    const img = await pushImage(reg, 'tamper/config', { layers: [layer], tag: 'v1' });
    const file = reg.blobPath(img.configDigest);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"amd64"', '"arm64"'));
    const err = await rejection(
      openRegistryImage(`${reg.host}/tamper/config:v1`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toContain(img.configDigest);
  });

  it('a tampered manifest pulled by digest is E_DIGEST_MISMATCH', async () => {
    const layer = await buildLayer([{ path: 'b', content: 'b' }]);
    const img = await pushImage(reg, 'tamper/manifest', { layers: [layer], tag: 'v1' });
    const file = reg.blobPath(img.manifestDigest);
    const text = await readFile(file, 'utf8');
    const sizeField = `"size":${layer.size}`;
    expect(text).toContain(sizeField);
    const n = String(layer.size);
    const changed = n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10); // same length, still valid JSON
    await writeFile(file, text.replace(sizeField, `"size":${changed}`));
    const err = await rejection(
      openRegistryImage(`${reg.host}/tamper/manifest@${img.manifestDigest}`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
      }),
    );
    expect(err.code).toBe('E_DIGEST_MISMATCH');
  });

  it('a layer longer than the manifest says is refused (the size bounds the stream)', async () => {
    const layer = await buildLayer([{ path: 'c', content: 'c'.repeat(10_000) }]);
    const configBytes = Buffer.from(JSON.stringify(imageConfig({ diffIds: [layer.diffId] })));
    await pushBlob(reg, 'size/lies', layer.blob);
    const configDigest = await pushBlob(reg, 'size/lies', configBytes);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          digest: configDigest,
          size: configBytes.length,
        },
        layers: [
          { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer.digest, size: 100 },
        ],
      }),
    );
    await pushManifest(reg, 'size/lies', 'v1', manifest, DOCKER_MANIFEST);
    const src = await openRegistryImage(`${reg.host}/size/lies:v1`, { dockerConfigPath: NO_DOCKER_CONFIG });
    expect(src.layers[0]?.size).toBe(100);
    const err = await rejection(src.openLayer(0).then(readAll));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(err.message).toMatch(/100 bytes/);
  });

  it('a manifest over 4 MiB is E_LIMIT (sent chunked, without Content-Length)', async () => {
    // docker-registry will not store or serve such a manifest, so the proxy answers for it.
    const layer = await buildLayer([{ path: 'd', content: 'd' }]);
    const img = await pushImage(reg, 'big/manifest', { layers: [layer], tag: 'v1' });
    const doc = JSON.parse(img.manifest.toString('utf8')) as Record<string, unknown>;
    doc['annotations'] = { padding: 'x'.repeat(4.5 * 1024 * 1024) };
    const body = Buffer.from(JSON.stringify(doc));
    const proxy = await startProxy(reg, {
      override: (method, path) =>
        method === 'GET' && path === '/v2/big/manifest/manifests/v1'
          ? { status: 200, headers: { 'content-type': img.manifestMediaType }, body }
          : undefined,
    });
    try {
      const err = await rejection(
        openRegistryImage(`${proxy.host}/big/manifest:v1`, { dockerConfigPath: NO_DOCKER_CONFIG }),
      );
      expect(err.code).toBe('E_LIMIT');
      expect(err.message).toContain('4194304');
    } finally {
      await proxy.stop();
    }
  });

  it('a config over 4 MiB is E_LIMIT, refused before downloading it', async () => {
    const layer = await buildLayer([{ path: 'd', content: 'd' }]);
    const config = { ...imageConfig({ diffIds: [layer.diffId] }), padding: 'x'.repeat(4.5 * 1024 * 1024) };
    const img = await pushImage(reg, 'big/config', { layers: [layer], config, tag: 'v1' });
    const rec = recordingFetch();
    const err = await rejection(
      openRegistryImage(`${reg.host}/big/config:v1`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        fetch: rec.fetch,
      }),
    );
    expect(err.code).toBe('E_LIMIT');
    expect(rec.urls).not.toContain(`/v2/big/config/blobs/${img.configDigest}`);
  });

  it('a config that does not list one diff_id per layer is E_MANIFEST', async () => {
    const layer = await buildLayer([{ path: 'e', content: 'e' }]);
    const img = await pushImage(reg, 'bad/config', {
      layers: [layer],
      config: imageConfig({ diffIds: [] }),
      tag: 'v1',
    });
    expect(img.layers).toHaveLength(1);
    const err = await rejection(
      openRegistryImage(`${reg.host}/bad/config:v1`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_MANIFEST');
  });
});

describe('transport', () => {
  it('retries 503 answers with backoff and then succeeds', async () => {
    const proxy = await startProxy(reg, { fail503: 2, failPath: /manifests/ });
    try {
      const src = await openRegistryImage(`${proxy.host}/team/app:1.0`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        retryBaseMs: 10,
      });
      expect(src.info.digest).toBe(app.manifestDigest);
      expect(proxy.requests.filter((r) => r.path.includes('/manifests/')).map((r) => r.outcome)).toEqual([
        '503',
        '503',
        'forwarded',
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it('gives up with E_REGISTRY after the retries', async () => {
    const proxy = await startProxy(reg, { fail503: 10, failPath: /manifests/ });
    try {
      const err = await rejection(
        openRegistryImage(`${proxy.host}/team/app:1.0`, {
          dockerConfigPath: NO_DOCKER_CONFIG,
          retries: 2,
          retryBaseMs: 5,
        }),
      );
      expect(err.code).toBe('E_REGISTRY');
      expect(err.message).toContain('503');
      expect(proxy.requests.filter((r) => r.outcome === '503')).toHaveLength(3);
    } finally {
      await proxy.stop();
    }
  });

  it('retries a reset connection on the initial blob request', async () => {
    const proxy = await startProxy(reg, { reset: 1, failPath: /blobs/ });
    try {
      const src = await openRegistryImage(`${proxy.host}/team/app:1.0`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
        retryBaseMs: 10,
      });
      expect(src.info.imageId).toBe(app.configDigest);
      expect((await readAll(await src.openLayer(0))).equals(app.layers[0]!.blob)).toBe(true);
      expect(proxy.requests.filter((r) => r.outcome === 'reset')).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });

  it('follows blob redirects to another origin', async () => {
    const proxy = await startProxy(reg, { redirectBlobs: true });
    try {
      const src = await openRegistryImage(`${proxy.host}/team/app:1.0`, {
        dockerConfigPath: NO_DOCKER_CONFIG,
      });
      expect((await readAll(await src.openLayer(1))).equals(app.layers[1]!.blob)).toBe(true);
      expect(proxy.requests.filter((r) => r.via === 'cdn').map((r) => r.path)).toEqual([
        `/v2/team/app/blobs/${app.configDigest}`,
        `/v2/team/app/blobs/${app.layers[1]!.digest}`,
      ]);
    } finally {
      await proxy.stop();
    }
  });
});
