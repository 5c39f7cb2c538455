/**
 * Images made by real tools, not by our fixture builder: umoci builds an OCI
 * layout from the Alpine minirootfs tarballs, skopeo converts it to a
 * docker-archive (with its `<id>/layer.tar` symlinks) and an oci-archive, and
 * `skopeo inspect` is the oracle for what we read. Skipped, with a message,
 * when umoci or skopeo is not installed (Debian packages `umoci`, `skopeo`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../../testing/shared-data.js';
import { tempDir, walkImage } from '../testdata/build.js';
import { openImage } from './resolve.js';

const have = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
const TOOLS = have('umoci') && have('skopeo');
const VERSIONS = ['3.17.10', '3.20.3'];

interface Inspect {
  Created: string;
  Architecture: string;
  Os: string;
  Layers: string[];
}

function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8' });
}

describe.skipIf(!TOOLS)('images made by umoci and skopeo', () => {
  let dir = '';
  const targets: Record<string, string> = {};

  beforeAll(() => {
    dir = tempDir();
    const layout = join(dir, 'layout');
    execFileSync('umoci', ['init', '--layout', layout]);
    execFileSync('umoci', ['new', '--image', `${layout}:v1`]);
    for (const v of VERSIONS) {
      const tar = join(dir, `${v}.tar`);
      writeFileSync(
        tar,
        gunzipSync(readFileSync(sharedData('images', 'alpine', `alpine-minirootfs-${v}-x86_64.tar.gz`))),
      );
      execFileSync('umoci', ['raw', 'add-layer', '--image', `${layout}:v1`, tar]);
    }
    skopeo('copy', '-q', `oci:${layout}:v1`, `docker-archive:${join(dir, 'docker.tar')}:alpine:v1`);
    skopeo('copy', '-q', `oci:${layout}:v1`, `oci-archive:${join(dir, 'oci.tar')}:v1`);
    targets['oci'] = `oci:${layout}:v1`;
    targets['oci-archive'] = `oci-archive:${join(dir, 'oci.tar')}:v1`;
    targets['docker-archive'] = `docker-archive:${join(dir, 'docker.tar')}`;
  }, 120_000);

  it.each(['oci', 'oci-archive', 'docker-archive'])(
    'reads the %s as skopeo inspect sees it',
    async (kind) => {
      const ref = targets[kind] as string;
      const inspect = JSON.parse(skopeo('inspect', ref)) as Inspect;
      const config = JSON.parse(skopeo('inspect', '--config', ref)) as { rootfs: { diff_ids: string[] } };
      const raw = JSON.parse(skopeo('inspect', '--raw', ref)) as { config: { digest: string } };
      const source = await openImage(ref);
      try {
        expect(source.info).toMatchObject({
          type: 'container_image',
          imageId: raw.config.digest,
          diffIds: config.rootfs.diff_ids,
          os: inspect.Os,
          architecture: inspect.Architecture,
          created: inspect.Created,
        });
        expect(source.layers.map((l) => l.digest)).toEqual(inspect.Layers);
        if (kind === 'docker-archive') {
          // RepoTags as skopeo wrote them into manifest.json (it writes normalized names).
          const manifest = JSON.parse(
            execFileSync('tar', ['-xOf', join(dir, 'docker.tar'), 'manifest.json'], { encoding: 'utf8' }),
          ) as { RepoTags: string[] }[];
          expect(source.info.repoTags).toEqual(manifest[0]?.RepoTags);
          expect(source.info.repoTags).toContain('docker.io/library/alpine:v1');
        }
        const walked = await walkImage(source, { read: (p) => p === 'etc/alpine-release' });
        expect(
          walked.map((entries) => entries.find((e) => e.path === 'etc/alpine-release')?.content?.trim()),
        ).toEqual(VERSIONS);
      } finally {
        await source.close();
      }
    },
  );

  it('detects each kind from a plain path', async () => {
    for (const path of [join(dir, 'docker.tar'), join(dir, 'oci.tar'), join(dir, 'layout')]) {
      const source = await openImage(path);
      try {
        expect(source.info.diffIds).toHaveLength(VERSIONS.length);
      } finally {
        await source.close();
      }
    }
  });
});

describe('the real image tools', () => {
  it('are installed: umoci and skopeo (run .ci/install.sh); without them the tests above cannot run', () => {
    expect(TOOLS, 'umoci or skopeo missing: apt-get install -y umoci skopeo (.ci/install.sh does)').toBe(
      true,
    );
  });
});
