import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import { formatReference, isLoopbackHost, parseReference } from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  const valid: Array<
    [string, { domain: string; path: string; tag?: string; digest?: string; familiar: string }]
  > = [
    ['alpine', { domain: 'docker.io', path: 'library/alpine', tag: 'latest', familiar: 'alpine' }],
    ['alpine:3.19', { domain: 'docker.io', path: 'library/alpine', tag: '3.19', familiar: 'alpine' }],
    ['docker.io/alpine', { domain: 'docker.io', path: 'library/alpine', tag: 'latest', familiar: 'alpine' }],
    [
      'index.docker.io/library/alpine:edge',
      { domain: 'docker.io', path: 'library/alpine', tag: 'edge', familiar: 'alpine' },
    ],
    ['user/app:1.0', { domain: 'docker.io', path: 'user/app', tag: '1.0', familiar: 'user/app' }],
    ['docker.io/user/app', { domain: 'docker.io', path: 'user/app', tag: 'latest', familiar: 'user/app' }],
    ['a/b/c', { domain: 'docker.io', path: 'a/b/c', tag: 'latest', familiar: 'a/b/c' }],
    ['localhost/foo', { domain: 'localhost', path: 'foo', tag: 'latest', familiar: 'localhost/foo' }],
    [
      'localhost:5000/foo/bar:v1',
      { domain: 'localhost:5000', path: 'foo/bar', tag: 'v1', familiar: 'localhost:5000/foo/bar' },
    ],
    [
      `127.0.0.1:5000/team/app@${D}`,
      { domain: '127.0.0.1:5000', path: 'team/app', digest: D, familiar: '127.0.0.1:5000/team/app' },
    ],
    [
      `ghcr.io/owner/repo:v2@${D}`,
      { domain: 'ghcr.io', path: 'owner/repo', tag: 'v2', digest: D, familiar: 'ghcr.io/owner/repo' },
    ],
    [
      'myregistry:5000/foo',
      { domain: 'myregistry:5000', path: 'foo', tag: 'latest', familiar: 'myregistry:5000/foo' },
    ],
    ['[::1]:5000/foo', { domain: '[::1]:5000', path: 'foo', tag: 'latest', familiar: '[::1]:5000/foo' }],
    // An upper-case first component can only be a host name (Docker's rule).
    ['Registry/foo', { domain: 'Registry', path: 'foo', tag: 'latest', familiar: 'Registry/foo' }],
    [
      'foo_bar/a__b/c-d---e/f.g',
      {
        domain: 'docker.io',
        path: 'foo_bar/a__b/c-d---e/f.g',
        tag: 'latest',
        familiar: 'foo_bar/a__b/c-d---e/f.g',
      },
    ],
    [
      'alpine:' + 'T'.repeat(128),
      { domain: 'docker.io', path: 'library/alpine', tag: 'T'.repeat(128), familiar: 'alpine' },
    ],
  ];
  for (const [input, want] of valid) {
    it(`parses ${input.length > 60 ? input.slice(0, 60) + '…' : input}`, () => {
      const r = parseReference(input);
      expect(r.domain).toBe(want.domain);
      expect(r.path).toBe(want.path);
      expect(r.tag).toBe(want.tag);
      expect(r.digest).toBe(want.digest);
      expect(r.familiarName).toBe(want.familiar);
      expect(r.name).toBe(`${want.domain}/${want.path}`);
    });
  }

  it('marks an implied latest tag and not an explicit one', () => {
    expect(parseReference('alpine').tagImplied).toBe(true);
    expect(parseReference('alpine:latest').tagImplied).toBe(false);
    expect(parseReference(`alpine@${D}`).tagImplied).toBe(false);
    expect(parseReference(`alpine@${D}`).tag).toBeUndefined();
  });

  it('talks to registry-1.docker.io for Docker Hub and to the named host otherwise', () => {
    expect(parseReference('alpine').apiHost).toBe('registry-1.docker.io');
    expect(parseReference('quay.io/x/y').apiHost).toBe('quay.io');
    expect(parseReference('localhost:5000/x').apiHost).toBe('localhost:5000');
  });

  it('formats the canonical form', () => {
    expect(formatReference(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(formatReference(parseReference(`q.io/a:b@${D}`))).toBe(`q.io/a:b@${D}`);
    expect(formatReference(parseReference(`q.io/a@${D}`))).toBe(`q.io/a@${D}`);
  });

  const invalid: Array<[string, RegExp]> = [
    ['', /invalid reference format/],
    [':tag', /invalid reference format/],
    ['alpine:', /invalid reference format/],
    ['ALPINE', /must be lowercase/],
    ['docker.io/Library/alpine', /must be lowercase/],
    ['foo/Bar', /must be lowercase/],
    ['alpine@sha256:abc', /invalid reference format/],
    ['a'.repeat(64), /64-byte hexadecimal/],
    ['foo//bar', /invalid reference format/],
    ['-foo', /invalid reference format/],
    ['foo___bar', /invalid reference format/],
    ['foo.', /invalid reference format/],
    ['alpine:' + 'x'.repeat(129), /invalid reference format/],
    ['alpine:-x', /invalid reference format/],
    ['localhost:5000/' + 'a'.repeat(250), /not be more than 255/],
    ['host:port/x', /invalid reference format/],
    ['a b', /invalid reference format/],
  ];
  for (const [input, re] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
      let err: unknown;
      try {
        parseReference(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PalisadeError);
      expect((err as PalisadeError).code).toBe('E_USAGE');
      expect((err as PalisadeError).message).toMatch(re);
    });
  }
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:40000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['registry.localhost:80', true],
    ['example.com', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});
