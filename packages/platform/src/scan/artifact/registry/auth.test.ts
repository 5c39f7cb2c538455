/**
 * Registry authentication against real registries: docker-registry with
 * htpasswd (Basic) and with token auth (Bearer; the token server is the
 * harness' node:http server signing ES256 JWTs the registry verifies).
 */
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import { nullLogger } from '../../../core/logger.js';
import type { PushedImage, TestRegistry } from '../../../testing/registry.js';
import { buildLayer, pushImage, startProxy, startRegistry } from '../../../testing/registry.js';
import { RegistryAuth, parseChallenges } from './auth.js';
import { openRegistryImage } from './index.js';

const NO_DOCKER_CONFIG = '/nonexistent/palisade-test/config.json';

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

describe('parseChallenges', () => {
  it('parses a distribution Bearer challenge', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ]);
  });

  it('parses Basic, unquoted values, escapes and several challenges', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
    ]);
    expect(
      parseChallenges('Basic realm=simple, Bearer realm="https://x/t", error="insufficient_scope"'),
    ).toEqual([
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Bearer realm="a\\"b",scope="repository:a:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:a:pull,push' } },
    ]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
  });
});

describe('RegistryAuth', () => {
  it('refuses to send credentials over plain HTTP to a non-loopback host', async () => {
    const auth = new RegistryAuth({
      origin: 'http://registry.example.com',
      registry: 'registry.example.com',
      repository: 'x',
      credentials: { username: 'u', password: 'p', source: 'test' },
      insecure: false,
      http: { fetch, logger: nullLogger, retries: 0, retryBaseMs: 1 },
      logger: nullLogger,
    });
    const res = new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
    const err = await rejection(auth.respond(res, undefined));
    expect(err.code).toBe('E_AUTH');
    expect(err.message).toMatch(/plain HTTP/);
  });

  it('sends them when the user marked the registry insecure', async () => {
    const auth = new RegistryAuth({
      origin: 'http://registry.example.com',
      registry: 'registry.example.com',
      repository: 'x',
      credentials: { username: 'u', password: 'p', source: 'test' },
      insecure: true,
      http: { fetch, logger: nullLogger, retries: 0, retryBaseMs: 1 },
      logger: nullLogger,
    });
    const res = new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
    expect(await auth.respond(res, undefined)).toBe(true);
    expect(auth.header).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});

describe('Basic auth (htpasswd)', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  beforeAll(async () => {
    reg = await startRegistry({ auth: { kind: 'htpasswd', username: 'alice', password: 's3cret!' } });
    img = await pushImage(reg, 'private/app', {
      layers: [await buildLayer([{ path: 'f', content: 'f' }])],
      tag: 'v1',
    });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pulls with the right credentials', async () => {
    const src = await openRegistryImage(`${reg.host}/private/app:v1`, {
      username: 'alice',
      password: 's3cret!',
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    expect(src.info.digest).toBe(img.manifestDigest);
    expect((await readAll(await src.openLayer(0))).equals(img.layers[0]!.blob)).toBe(true);
  });

  it('a wrong password is E_AUTH with a hint', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/private/app:v1`, {
        username: 'alice',
        password: 'wrong',
        dockerConfigPath: NO_DOCKER_CONFIG,
      }),
    );
    expect(err.code).toBe('E_AUTH');
    expect(err.message).toContain('with the given credentials');
    expect(err.hint).toContain(`docker login ${reg.host}`);
  });

  it('no credentials is E_AUTH suggesting docker login or --username', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/private/app:v1`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_AUTH');
    expect(err.message).toContain('anonymously');
    expect(err.hint).toMatch(/docker login .*--username/);
  });

  it('a username without password is E_USAGE', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/private/app:v1`, {
        username: 'alice',
        dockerConfigPath: NO_DOCKER_CONFIG,
      }),
    );
    expect(err.code).toBe('E_USAGE');
  });

  it('credentials are not sent to a redirect target on another origin', async () => {
    const proxy = await startProxy(reg, {
      redirectBlobs: true,
      upstreamAuthorization: reg.pushAuthorization('private/app')!,
    });
    try {
      const src = await openRegistryImage(`${proxy.host}/private/app:v1`, {
        username: 'alice',
        password: 's3cret!',
        dockerConfigPath: NO_DOCKER_CONFIG,
      });
      expect((await readAll(await src.openLayer(0))).equals(img.layers[0]!.blob)).toBe(true);
      const cdn = proxy.requests.filter((r) => r.via === 'cdn');
      expect(cdn).toHaveLength(2); // config and layer
      expect(cdn.every((r) => r.authorization === undefined)).toBe(true);
      const redirected = proxy.requests.filter((r) => r.outcome === 'redirect');
      expect(redirected.every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});

describe('Bearer token auth', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  beforeAll(async () => {
    reg = await startRegistry({
      auth: { kind: 'token', username: 'bob', password: 'hunter2', refreshToken: 'refresh-abc' },
    });
    img = await pushImage(reg, 'team/secure', {
      layers: [await buildLayer([{ path: 'g', content: 'g' }])],
      tag: 'v1',
    });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('gets a token with Basic credentials from the realm and pulls', async () => {
    reg.tokenRequests.length = 0;
    const src = await openRegistryImage(`${reg.host}/team/secure:v1`, {
      username: 'bob',
      password: 'hunter2',
      dockerConfigPath: NO_DOCKER_CONFIG,
    });
    expect(src.info.digest).toBe(img.manifestDigest);
    expect((await readAll(await src.openLayer(0))).equals(img.layers[0]!.blob)).toBe(true);
    // One token serves the manifest, the config and the layer.
    expect(reg.tokenRequests).toEqual([
      {
        method: 'GET',
        service: 'palisade-test-registry',
        scopes: ['repository:team/secure:pull'],
        account: 'bob',
        basicUser: 'bob',
        grantType: null,
        status: 200,
      },
    ]);
  });

  it('anonymous clients get a token without access: E_AUTH', async () => {
    reg.tokenRequests.length = 0;
    const err = await rejection(
      openRegistryImage(`${reg.host}/team/secure:v1`, { dockerConfigPath: NO_DOCKER_CONFIG }),
    );
    expect(err.code).toBe('E_AUTH');
    expect(err.hint).toMatch(/docker login/);
    expect(reg.tokenRequests.length).toBeGreaterThan(0);
    expect(reg.tokenRequests.every((r) => r.basicUser === null && r.account === null)).toBe(true);
  });

  it('a wrong password is refused by the token server: E_AUTH', async () => {
    const err = await rejection(
      openRegistryImage(`${reg.host}/team/secure:v1`, {
        username: 'bob',
        password: 'nope',
        dockerConfigPath: NO_DOCKER_CONFIG,
      }),
    );
    expect(err.code).toBe('E_AUTH');
    expect(err.message).toMatch(/token server/);
    expect(err.message).toMatch(/refused the credentials/);
  });
});

describe('Bearer token auth with anonymous pull', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  beforeAll(async () => {
    reg = await startRegistry({
      auth: { kind: 'token', username: 'bob', password: 'pw', anonymousPull: true },
    });
    img = await pushImage(reg, 'public/app', {
      layers: [await buildLayer([{ path: 'h', content: 'h' }])],
      tag: 'v1',
    });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pulls with an anonymous token', async () => {
    reg.tokenRequests.length = 0;
    const src = await openRegistryImage(`${reg.host}/public/app:v1`, { dockerConfigPath: NO_DOCKER_CONFIG });
    expect(src.info.digest).toBe(img.manifestDigest);
    expect(reg.tokenRequests).toHaveLength(1);
    expect(reg.tokenRequests[0]).toMatchObject({
      method: 'GET',
      basicUser: null,
      scopes: ['repository:public/app:pull'],
    });
  });
});
