import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import {
  HAVE_ZSTD,
  tarDirectory,
  tarOf,
  tempDir,
  walkImage,
  writeDockerArchive,
  writeOciLayout,
  zstdCompress,
} from '../testdata/build.js';
import type { ImageSource } from '../types.js';
import { openImage, parseLocalTarget, splitPathSelector } from './resolve.js';

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

describe('image target syntax', () => {
  const cwd = tempDir();
  mkdirSync(join(cwd, 'layout'));
  writeFileSync(join(cwd, 'img.tar'), '');
  writeFileSync(join(cwd, 'odd:name.tar'), '');

  it.each([
    ['docker-archive:img.tar', { transport: 'docker-archive', path: 'img.tar' }],
    [
      'docker-archive:img.tar:alpine:3.20',
      { transport: 'docker-archive', path: 'img.tar', selector: 'alpine:3.20' },
    ],
    ['docker-archive:img.tar:@1', { transport: 'docker-archive', path: 'img.tar', selector: '@1' }],
    ['docker-archive:odd:name.tar', { transport: 'docker-archive', path: 'odd:name.tar' }],
    ['docker-archive:odd:name.tar:v1', { transport: 'docker-archive', path: 'odd:name.tar', selector: 'v1' }],
    ['oci:layout', { transport: 'oci', path: 'layout' }],
    ['oci:layout:v1', { transport: 'oci', path: 'layout', selector: 'v1' }],
    ['oci-archive:img.tar:latest', { transport: 'oci-archive', path: 'img.tar', selector: 'latest' }],
    ['img.tar', { transport: 'auto', path: 'img.tar' }],
    ['layout', { transport: 'auto', path: 'layout' }],
  ])('reads %j as a local target', (ref, expected) => {
    expect(parseLocalTarget(ref, cwd)).toEqual(expected);
  });

  it.each(['alpine', 'alpine:3.20', 'ghcr.io/org/app@sha256:' + 'a'.repeat(64), 'localhost:5000/x:1'])(
    'leaves %j to the registry',
    (ref) => {
      expect(parseLocalTarget(ref, cwd)).toBeUndefined();
    },
  );

  it.each(['missing.tar', './missing', '/no/such/image.tar', 'docker-archive:missing.tar', 'oci:nowhere:v1'])(
    'reports %j as a missing file instead of asking a registry',
    (ref) => {
      expect(() => parseLocalTarget(ref, cwd)).toThrowError(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    },
  );

  it('needs a path after the transport', () => {
    expect(() => parseLocalTarget('oci:', cwd)).toThrowError(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('takes the longest existing prefix as the path', () => {
    expect(splitPathSelector('odd:name.tar:x:y', cwd)).toEqual({ path: 'odd:name.tar', selector: 'x:y' });
    expect(splitPathSelector('nothing:here', cwd)).toBeUndefined();
  });
});

describe('openImage', () => {
  it('hands registry references to openRemote with the options', async () => {
    const calls: [string, string | undefined][] = [];
    const fake = { close: () => Promise.resolve() } as unknown as ImageSource;
    const source = await openImage('alpine:3.20', {
      cwd: tempDir(),
      platform: 'linux/arm64',
      openRemote: (ref, opts) => {
        calls.push([ref, opts.platform]);
        return Promise.resolve(fake);
      },
    });
    expect(source).toBe(fake);
    expect(calls).toEqual([['alpine:3.20', 'linux/arm64']]);
  });

  it('resolves relative paths against cwd and names the artifact as given', async () => {
    const cwd = tempDir();
    await writeDockerArchive(cwd, { layers: [{ tar: await tarOf([{ name: 'a', body: 'x' }]) }] }, 'app.tar');
    const source = await openImage('app.tar', { cwd });
    try {
      expect(source.info.name).toBe('app.tar');
    } finally {
      await source.close();
    }
  });

  it('refuses a directory that is not an OCI layout', async () => {
    const err = await rejection(openImage(tempDir()));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.hint).toContain('rootfs');
  });

  it('refuses a tar that is neither a docker-archive nor an OCI archive', async () => {
    const file = join(tempDir(), 'rootfs.tar');
    writeFileSync(file, await tarOf([{ name: 'etc/passwd', body: 'x' }]));
    const err = await rejection(openImage(file));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toContain('neither a docker-archive nor an OCI archive');
  });

  it('reads an image archive compressed as a whole (docker save | gzip), via a temp file it removes', async () => {
    const dir = tempDir();
    const scratch = tempDir();
    const tar = await writeDockerArchive(dir, {
      layers: [{ tar: await tarOf([{ name: 'etc/x', body: 'gz' }]) }],
    });
    const gz = join(dir, 'image.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(tar)));
    const source = await openImage(gz, { tempDir: scratch });
    try {
      expect(source.info.name).toBe(gz);
      expect(readdirSync(scratch)).toHaveLength(1);
      const walked = await walkImage(source, { read: () => true });
      expect(walked[0]?.map((e) => [e.path, e.content])).toEqual([['etc/x', 'gz']]);
    } finally {
      await source.close();
    }
    expect(readdirSync(scratch)).toEqual([]);
  });

  it.skipIf(!HAVE_ZSTD)('reads a zstd-compressed oci-archive', async () => {
    const dir = tempDir();
    const layout = writeOciLayout(join(dir, 'l'), {
      images: [{ image: { layers: [{ tar: await tarOf([{ name: 'etc/x', body: 'zst' }]) }] } }],
    });
    const file = await tarDirectory(layout, join(dir, 'image.tar'));
    writeFileSync(`${file}.zst`, zstdCompress(readFileSync(file)) as Buffer);
    const source = await openImage(`oci-archive:${file}.zst`);
    try {
      const walked = await walkImage(source, { read: () => true });
      expect(walked[0]?.map((e) => e.content)).toEqual(['zst']);
    } finally {
      await source.close();
    }
  });

  it('fails with E_ARCHIVE_TRUNCATED on a truncated compressed archive and leaves no temp file', async () => {
    const dir = tempDir();
    const scratch = tempDir();
    const tar = await writeDockerArchive(dir, {
      layers: [{ tar: await tarOf([{ name: 'a', body: 'x'.repeat(50_000) }]) }],
    });
    const gz = gzipSync(readFileSync(tar));
    const cut = join(dir, 'cut.tar.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 40));
    const err = await rejection(openImage(cut, { tempDir: scratch }));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(readdirSync(scratch)).toEqual([]);
  });
});
