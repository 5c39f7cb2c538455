/**
 * Credentials from a Docker config.json: `auths` entries and credential
 * helpers (real executables on PATH speaking the docker-credential protocol),
 * then pulls from real registries with them.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { PushedImage, TestRegistry } from '../../../testing/registry.js';
import { buildLayer, pushImage, startRegistry } from '../../../testing/registry.js';
import { DOCKER_HUB_AUTH_KEY, credentialsFromDockerConfig, runCredentialHelper } from './docker-config.js';
import { openRegistryImage } from './index.js';

let dir: string;
let savedPath: string | undefined;
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

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

async function config(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/**
 * A docker-credential helper: answers `get` for `server` with the given JSON,
 * and "credentials not found" (exit 1) for any other server, as real helpers do.
 */
async function helper(
  name: string,
  server: string,
  answer: unknown,
  opts: { sleep?: number } = {},
): Promise<void> {
  const path = join(dir, 'bin', `docker-credential-${name}`);
  const script = [
    '#!/bin/sh',
    '[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }',
    opts.sleep ? `sleep ${opts.sleep}` : '',
    'read -r server',
    `if [ "$server" = '${server}' ]; then`,
    `  printf '%s' '${JSON.stringify(answer)}'`,
    'else',
    '  echo "credentials not found in native keychain"',
    '  exit 1',
    'fi',
  ].join('\n');
  await writeFile(path, script + '\n');
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-docker-config-'));
  await mkdir(join(dir, 'bin'));
  savedPath = process.env['PATH'];
  process.env['PATH'] = `${join(dir, 'bin')}${delimiter}${savedPath ?? ''}`;
});

afterAll(async () => {
  process.env['PATH'] = savedPath;
  await rm(dir, { recursive: true, force: true });
});

describe('credentialsFromDockerConfig', () => {
  it('decodes a base64 auth entry for host:port', async () => {
    const p = await config('a.json', { auths: { 'reg.example:5000': { auth: b64('u:p:with:colons') } } });
    expect(await credentialsFromDockerConfig(p, 'reg.example:5000')).toEqual({
      username: 'u',
      password: 'p:with:colons',
      source: `${p} (auths)`,
    });
    expect(await credentialsFromDockerConfig(p, 'reg.example')).toBeUndefined();
  });

  it('uses https://index.docker.io/v1/ for Docker Hub and matches URL-form keys by host', async () => {
    const p = await config('b.json', {
      auths: {
        [DOCKER_HUB_AUTH_KEY]: { auth: b64('hub:pw') },
        'https://ghcr.io/v2/': { username: 'gh', password: 'tok' },
      },
    });
    expect(await credentialsFromDockerConfig(p, 'docker.io')).toMatchObject({
      username: 'hub',
      password: 'pw',
    });
    expect(await credentialsFromDockerConfig(p, 'ghcr.io')).toMatchObject({
      username: 'gh',
      password: 'tok',
    });
  });

  it('reads identity and registry tokens', async () => {
    const p = await config('c.json', {
      auths: { 'a.example': { identitytoken: 'refresh' }, 'b.example': { registrytoken: 'bearer' } },
    });
    expect(await credentialsFromDockerConfig(p, 'a.example')).toMatchObject({ identityToken: 'refresh' });
    expect(await credentialsFromDockerConfig(p, 'b.example')).toMatchObject({ registryToken: 'bearer' });
  });

  it('treats a missing file as no credentials, and a malformed one as none with a warning', async () => {
    warnings.length = 0;
    expect(
      await credentialsFromDockerConfig(join(dir, 'missing.json'), 'x.example', { logger }),
    ).toBeUndefined();
    expect(warnings).toEqual([]);
    const p = await config('bad.json', '{"auths": {');
    expect(await credentialsFromDockerConfig(p, 'x.example', { logger })).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/not valid JSON/);
    const q = await config('bad-auth.json', { auths: { 'x.example': { auth: b64('no-colon') } } });
    expect(await credentialsFromDockerConfig(q, 'x.example', { logger })).toBeUndefined();
  });

  it('runs credHelpers for the registry and credsStore otherwise', async () => {
    await helper('phelper', 'h.example', { ServerURL: 'h.example', Username: 'hu', Secret: 'hs' });
    await helper('pstore', DOCKER_HUB_AUTH_KEY, {
      ServerURL: DOCKER_HUB_AUTH_KEY,
      Username: 'su',
      Secret: 'ss',
    });
    const p = await config('d.json', { credHelpers: { 'h.example': 'phelper' }, credsStore: 'pstore' });
    expect(await credentialsFromDockerConfig(p, 'h.example')).toEqual({
      username: 'hu',
      password: 'hs',
      source: 'credential helper docker-credential-phelper',
    });
    expect(await credentialsFromDockerConfig(p, 'docker.io')).toMatchObject({
      username: 'su',
      password: 'ss',
    });
    // The store has nothing for this one: no credentials.
    expect(await credentialsFromDockerConfig(p, 'other.example')).toBeUndefined();
  });

  it('falls back to auths when the helper has nothing', async () => {
    const p = await config('e.json', {
      credsStore: 'pstore',
      auths: { 'f.example': { auth: b64('fu:fp') } },
    });
    expect(await credentialsFromDockerConfig(p, 'f.example')).toMatchObject({
      username: 'fu',
      password: 'fp',
    });
  });

  it('maps the <token> user name to an identity token', async () => {
    await helper('ptoken', 't.example', { ServerURL: 't.example', Username: '<token>', Secret: 'idtok' });
    expect(await runCredentialHelper('ptoken', 't.example')).toEqual({
      identityToken: 'idtok',
      source: 'credential helper docker-credential-ptoken',
    });
  });

  it('survives a missing, hanging or hostile helper', async () => {
    warnings.length = 0;
    expect(await runCredentialHelper('does-not-exist', 'x', { logger })).toBeUndefined();
    expect(warnings.at(-1)).toMatch(/not found on PATH/);
    await helper('pslow', 'x', { Username: 'a', Secret: 'b' }, { sleep: 5 });
    const t0 = Date.now();
    expect(await runCredentialHelper('pslow', 'x', { logger, helperTimeoutMs: 300 })).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(warnings.at(-1)).toMatch(/timed out/);
    expect(await runCredentialHelper('../../bin/sh', 'x', { logger })).toBeUndefined();
    expect(warnings.at(-1)).toMatch(/not valid/);
  });
});

describe('pulling with docker config credentials', () => {
  let basicReg: TestRegistry;
  let tokenReg: TestRegistry;
  let basicImg: PushedImage;
  let tokenImg: PushedImage;

  beforeAll(async () => {
    basicReg = await startRegistry({ auth: { kind: 'htpasswd', username: 'carol', password: 'pw-carol' } });
    tokenReg = await startRegistry({
      auth: { kind: 'token', username: 'dave', password: 'pw-dave', refreshToken: 'dave-refresh' },
    });
    const layer = await buildLayer([{ path: 'z', content: 'z' }]);
    basicImg = await pushImage(basicReg, 'cfg/app', { layers: [layer], tag: 'v1' });
    tokenImg = await pushImage(tokenReg, 'cfg/app', { layers: [layer], tag: 'v1' });
  });
  afterAll(async () => {
    await basicReg?.stop();
    await tokenReg?.stop();
  });

  it('auths entry → Basic auth', async () => {
    const p = await config('pull-a.json', { auths: { [basicReg.host]: { auth: b64('carol:pw-carol') } } });
    const src = await openRegistryImage(`${basicReg.host}/cfg/app:v1`, { dockerConfigPath: p });
    expect(src.info.digest).toBe(basicImg.manifestDigest);
  });

  it('auths entry with a wrong password → E_AUTH', async () => {
    const p = await config('pull-b.json', { auths: { [basicReg.host]: { auth: b64('carol:nope') } } });
    const err = await openRegistryImage(`${basicReg.host}/cfg/app:v1`, { dockerConfigPath: p }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('E_AUTH');
  });

  it('credential helper → Bearer token with Basic credentials', async () => {
    await helper('ptokreg', tokenReg.host, { ServerURL: tokenReg.host, Username: 'dave', Secret: 'pw-dave' });
    const p = await config('pull-c.json', { credHelpers: { [tokenReg.host]: 'ptokreg' } });
    tokenReg.tokenRequests.length = 0;
    const src = await openRegistryImage(`${tokenReg.host}/cfg/app:v1`, { dockerConfigPath: p });
    expect(src.info.digest).toBe(tokenImg.manifestDigest);
    expect(tokenReg.tokenRequests.map((r) => [r.method, r.basicUser])).toEqual([['GET', 'dave']]);
  });

  it('identity token → OAuth2 refresh_token grant', async () => {
    const p = await config('pull-d.json', { auths: { [tokenReg.host]: { identitytoken: 'dave-refresh' } } });
    tokenReg.tokenRequests.length = 0;
    const src = await openRegistryImage(`${tokenReg.host}/cfg/app:v1`, { dockerConfigPath: p });
    expect(src.info.digest).toBe(tokenImg.manifestDigest);
    expect(tokenReg.tokenRequests).toEqual([
      expect.objectContaining({
        method: 'POST',
        grantType: 'refresh_token',
        service: 'palisade-test-registry',
        scopes: ['repository:cfg/app:pull'],
        status: 200,
      }),
    ]);
  });

  it('options override the docker config', async () => {
    const p = await config('pull-e.json', { auths: { [basicReg.host]: { auth: b64('carol:nope') } } });
    const src = await openRegistryImage(`${basicReg.host}/cfg/app:v1`, {
      dockerConfigPath: p,
      username: 'carol',
      password: 'pw-carol',
    });
    expect(src.info.digest).toBe(basicImg.manifestDigest);
  });
});
