import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import { MT, parseDigest, parseManifest } from './manifest.js';
import type { Platform } from '../platform.js';
import { formatPlatform, normalizePlatform, parsePlatform, selectPlatform } from '../platform.js';

describe('normalizePlatform', () => {
  it.each([
    ['linux/x86_64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm64/8', 'linux/arm64'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
    ['macos/arm64', 'darwin/arm64'],
  ])('%s → %s', (input, want) => {
    expect(formatPlatform(normalizePlatform(parsePlatform(input)))).toBe(want);
  });

  it.each(['linux', 'linux/amd64/v1/x', '', 'linux//amd64', 'linux/am d64'])('rejects %j', (input) => {
    expect(() => parsePlatform(input)).toThrow(PalisadeError);
  });
});

describe('selectPlatform', () => {
  const entries: Platform[] = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'arm', variant: 'v6' },
    { os: 'windows', architecture: 'amd64' },
  ];
  const pick = (want: string, list: Platform[] = entries): string | undefined => {
    const p = selectPlatform(list, (e) => e, parsePlatform(want));
    return p ? formatPlatform(p) : undefined;
  };

  it('matches os and architecture after normalization', () => {
    expect(pick('linux/amd64')).toBe('linux/amd64');
    expect(pick('windows/amd64')).toBe('windows/amd64');
    expect(pick('linux/arm64')).toBe('linux/arm64/v8');
    expect(pick('linux/386')).toBeUndefined();
  });

  it('lets arm/v7 run arm/v6 but not the reverse', () => {
    expect(pick('linux/arm')).toBe('linux/arm/v6');
    expect(pick('linux/arm/v7')).toBe('linux/arm/v6');
    expect(pick('linux/arm/v5')).toBeUndefined();
    expect(pick('linux/arm/v7', [...entries, { os: 'linux', architecture: 'arm', variant: 'v7' }])).toBe(
      'linux/arm/v7',
    );
  });

  it('accepts any variant when none was asked for, preferring the plain one', () => {
    const list: Platform[] = [
      { os: 'linux', architecture: 'amd64', variant: 'v3' },
      { os: 'linux', architecture: 'amd64' },
    ];
    expect(pick('linux/amd64', list)).toBe('linux/amd64');
    expect(pick('linux/amd64', [list[0]!])).toBe('linux/amd64/v3');
    expect(pick('linux/amd64/v2', [list[0]!])).toBeUndefined();
  });
});

describe('parseManifest', () => {
  const d = 'sha256:' + 'b'.repeat(64);
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return (e as PalisadeError).code;
    }
    return 'none';
  };

  it('uses the Content-Type, then mediaType, then the shape', () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: d, size: 1 }] }));
    expect(parseManifest(index, MT.dockerList, 'x').kind).toBe('index');
    expect(parseManifest(index, 'application/json', 'x')).toMatchObject({
      kind: 'index',
      mediaType: MT.ociIndex,
    });
    const image = Buffer.from(
      JSON.stringify({ mediaType: MT.dockerManifest, config: { digest: d }, layers: [] }),
    );
    expect(parseManifest(image, null, 'x')).toMatchObject({ kind: 'image', mediaType: MT.dockerManifest });
  });

  it('rejects malformed and unsupported documents with codes', () => {
    expect(code(() => parseManifest(Buffer.from('{'), null, 'x'))).toBe('E_MANIFEST');
    expect(code(() => parseManifest(Buffer.from('[]'), null, 'x'))).toBe('E_MANIFEST');
    expect(code(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), null, 'x'))).toBe(
      'E_UNSUPPORTED',
    );
    expect(code(() => parseManifest(Buffer.from('{"foo":1}'), 'text/plain', 'x'))).toBe('E_UNSUPPORTED');
    const badDigest = { config: { digest: 'sha256:xyz' }, layers: [] };
    expect(code(() => parseManifest(Buffer.from(JSON.stringify(badDigest)), MT.ociManifest, 'x'))).toBe(
      'E_MANIFEST',
    );
    const badSize = { config: { digest: d, size: -1 }, layers: [] };
    expect(code(() => parseManifest(Buffer.from(JSON.stringify(badSize)), MT.ociManifest, 'x'))).toBe(
      'E_MANIFEST',
    );
    const helm = { config: { digest: d, mediaType: 'application/vnd.cncf.helm.config.v1+json' }, layers: [] };
    expect(code(() => parseManifest(Buffer.from(JSON.stringify(helm)), MT.ociManifest, 'x'))).toBe(
      'E_UNSUPPORTED',
    );
    const many = { config: { digest: d }, layers: Array.from({ length: 1001 }, () => ({ digest: d })) };
    expect(code(() => parseManifest(Buffer.from(JSON.stringify(many)), MT.ociManifest, 'x'))).toBe('E_LIMIT');
  });

  it('checks digests', () => {
    expect(parseDigest(d)).toEqual({ algorithm: 'sha256', hex: 'b'.repeat(64) });
    expect(parseDigest('sha512:' + 'c'.repeat(128)).algorithm).toBe('sha512');
    expect(code(() => parseDigest('sha256:' + 'B'.repeat(64)))).toBe('E_MANIFEST');
    expect(code(() => parseDigest('sha256:' + 'b'.repeat(63)))).toBe('E_MANIFEST');
    expect(code(() => parseDigest('md5:' + 'b'.repeat(32)))).toBe('E_UNSUPPORTED');
  });
});
