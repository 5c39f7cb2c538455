/**
 * End to end through the CLI against a real OCI registry (Debian's docker-registry on loopback):
 * real test images are pushed blob by blob from their OCI layouts, then `palisade sbom image
 * 127.0.0.1:<port>/<repo>:<tag>` must list exactly what the same image gives from its tar,
 * anonymously and with basic auth, and a second scan must be served from the layer cache.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../packages/platform/src/cli/program.js';
import type { TestImageName } from '../packages/platform/src/testing/images.js';
import { testImage } from '../packages/platform/src/testing/images.js';
import type { TestRegistry } from '../packages/platform/src/testing/registry.js';
import {
  OCI_MANIFEST,
  pushBlob,
  pushManifest,
  startRegistry,
} from '../packages/platform/src/testing/registry.js';

interface Descriptor {
  digest: string;
}

/** Pushes an OCI layout's single image (config, layers, manifest) to `repo:tag`. */
async function pushLayout(reg: TestRegistry, layout: string, repo: string, tag: string): Promise<void> {
  const blob = (d: string) => readFileSync(join(layout, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const manifestDesc = index.manifests[0];
  if (!manifestDesc) throw new Error(`${layout}: empty index`);
  const manifestBytes = blob(manifestDesc.digest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [manifest.config, ...manifest.layers]) await pushBlob(reg, repo, blob(d.digest));
  await pushManifest(reg, repo, tag, manifestBytes, OCI_MANIFEST);
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env, cwd: tmpdir() });
  return { code, out, err };
}

type Report = {
  artifact: { repoDigests?: string[] };
  results: { packages: { name: string; version: string; layer?: { diffId: string } }[] }[];
};
const packages = (r: Report) =>
  r.results.flatMap((x) => x.packages.map((p) => `${p.name}@${p.version} ${p.layer?.diffId ?? ''}`)).sort();

const images: TestImageName[] = ['bookworm', 'alpine-whiteout'];

describe('palisade sbom image <registry reference>', () => {
  let anon: TestRegistry;
  let authed: TestRegistry;
  const env = () => ({ HOME: mkdtempSync(join(tmpdir(), 'palisade-home-')) });

  beforeAll(async () => {
    anon = await startRegistry();
    authed = await startRegistry({ auth: { kind: 'htpasswd', username: 'ci', password: 's3cret' } });
    for (const name of images) {
      await pushLayout(anon, testImage(name, 'oci'), `test/${name}`, 'v1');
      await pushLayout(authed, testImage(name, 'oci'), `test/${name}`, 'v1');
    }
  });

  afterAll(async () => {
    await anon?.stop();
    await authed?.stop();
  });

  for (const name of images) {
    it(`${name}: pulls anonymously and lists what the image tar lists, layer by layer`, async () => {
      const e = env();
      const local = await cli(
        ['sbom', 'image', '--input', testImage(name, 'docker-archive'), '--format', 'json', '--quiet'],
        e,
      );
      const remote = await cli(
        ['sbom', 'image', `${anon.host}/test/${name}:v1`, '--format', 'json', '--quiet'],
        e,
      );
      expect(remote.err).toBe('');
      expect(remote.code).toBe(0);
      const r = JSON.parse(remote.out) as Report;
      expect(packages(r)).toEqual(packages(JSON.parse(local.out) as Report));
      expect(r.artifact.repoDigests?.[0]).toMatch(
        new RegExp(`^${anon.host}/test/${name}@sha256:[0-9a-f]{64}$`),
      );
    });
  }

  it('pulls with basic auth from the environment, and refuses without credentials', async () => {
    const e = env();
    const ref = `${authed.host}/test/alpine-whiteout:v1`;
    const denied = await cli(['sbom', 'image', ref, '--quiet'], e);
    expect(denied.code).toBe(2);
    expect(denied.err).toMatch(/E_AUTH/);
    expect(denied.err).toMatch(/hint:/);
    const ok = await cli(['sbom', 'image', ref, '--format', 'json', '--quiet'], {
      ...e,
      PALISADE_USERNAME: 'ci',
      PALISADE_PASSWORD: 's3cret',
    });
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(packages(JSON.parse(ok.out) as Report).length).toBeGreaterThan(5);
  });

  it('serves a second scan from the layer cache even when the registry is gone', async () => {
    const reg = await startRegistry();
    await pushLayout(reg, testImage('alpine-whiteout', 'oci'), 'test/cached', 'v1');
    const e = env();
    const ref = `${reg.host}/test/cached:v1`;
    const first = await cli(['sbom', 'image', ref, '--format', 'json', '--quiet'], e);
    expect(first.code).toBe(0);
    // Remove every layer blob from the registry's storage: a scan that needed a layer would fail.
    const { rmSync, readdirSync } = await import('node:fs');
    const blobsDir = join(reg.storageDir, 'docker/registry/v2/blobs/sha256');
    const layerDigests = (
      JSON.parse(readFileSync(join(testImage('alpine-whiteout', 'oci'), 'index.json'), 'utf8')) as {
        manifests: Descriptor[];
      }
    ).manifests;
    expect(layerDigests.length).toBe(1);
    const manifest = JSON.parse(
      readFileSync(
        join(testImage('alpine-whiteout', 'oci'), 'blobs/sha256', (layerDigests[0]?.digest ?? '').slice(7)),
        'utf8',
      ),
    ) as { layers: Descriptor[] };
    for (const l of manifest.layers) {
      const hex = l.digest.slice(7);
      expect(readdirSync(join(blobsDir, hex.slice(0, 2)))).toContain(hex);
      rmSync(join(blobsDir, hex.slice(0, 2), hex), { recursive: true });
    }
    const second = await cli(['sbom', 'image', ref, '--format', 'json', '--quiet'], e);
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(packages(JSON.parse(second.out) as Report)).toEqual(packages(JSON.parse(first.out) as Report));
    await reg.stop();
  });
});
