/**
 * Test support: a REAL OCI registry on loopback (Debian's `docker-registry`,
 * i.e. distribution v2, started with our own config on 127.0.0.1:<free port>
 * with storage in a temp dir), optionally behind htpasswd Basic auth or the
 * token protocol (a small token server on node:http that signs ES256 JWTs with
 * a key whose self-signed certificate the registry trusts), and helpers to
 * build tiny images and push them with the distribution API.
 *
 * Needs the Debian packages `docker-registry`, `apache2-utils` (htpasswd) and `openssl`.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export const REGISTRY_APT_PACKAGES = ['docker-registry', 'apache2-utils', 'openssl'] as const;

export type TestRegistryAuth =
  | { kind: 'htpasswd'; username: string; password: string }
  | {
      kind: 'token';
      username: string;
      password: string;
      /** Accepted as an OAuth2 refresh token (`grant_type=refresh_token`). */
      refreshToken?: string;
      /** Grant anonymous clients `pull` (like a public repository); default false. */
      anonymousPull?: boolean;
    };

export interface TokenRequestRecord {
  method: string;
  service: string | null;
  scopes: string[];
  account: string | null;
  /** User name of the Basic credentials sent, if any. */
  basicUser: string | null;
  grantType: string | null;
  status: number;
}

export interface TestRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the registry part of image references. */
  host: string;
  storageDir: string;
  /** Token server requests seen so far (token auth only). */
  tokenRequests: TokenRequestRecord[];
  /** Authorization header for pushing to `repo` (undefined without auth). */
  pushAuthorization(repo: string): string | undefined;
  /** Path of a blob's bytes in the registry's storage (to tamper with). */
  blobPath(digest: string): string;
  stop(): Promise<void>;
}

function findOnPath(names: string[]): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin']);
  for (const n of names) {
    for (const d of dirs) {
      const p = join(d, n);
      if (d && existsSync(p)) return p;
    }
  }
  return undefined;
}

function missing(tool: string): Error {
  return new Error(
    `${tool} is not installed: the registry tests need the Debian packages ${REGISTRY_APT_PACKAGES.join(', ')} ` +
      `(apt-get install -y ${REGISTRY_APT_PACKAGES.join(' ')})`,
  );
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')} failed: ${String(stderr)}`, { cause: err }));
      else resolve(String(stdout));
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface TokenSigner {
  certPath: string;
  mint(subject: string, access: Array<{ type: string; name: string; actions: string[] }>): string;
}

const TOKEN_ISSUER = 'palisade-test-issuer';
const TOKEN_SERVICE = 'palisade-test-registry';

async function makeSigner(dir: string): Promise<TokenSigner> {
  const openssl = findOnPath(['openssl']);
  if (!openssl) throw missing('openssl');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await run(openssl, [
    'req',
    '-x509',
    '-new',
    '-key',
    keyPath,
    '-subj',
    '/CN=palisade-test-token',
    '-days',
    '2',
    '-out',
    certPath,
  ]);
  const pem = await readFile(certPath, 'utf8');
  const der = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return {
    certPath,
    mint(subject, access) {
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: 'JWT', alg: 'ES256', x5c: [der] };
      const claims = {
        iss: TOKEN_ISSUER,
        sub: subject,
        aud: TOKEN_SERVICE,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${b64url(sig)}`;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      s += c;
      if (s.length > 1 << 16) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function startTokenServer(
  auth: Extract<TestRegistryAuth, { kind: 'token' }>,
  signer: TokenSigner,
  records: TokenRequestRecord[],
): Promise<{ server: Server; realm: string }> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: TokenRequestRecord = {
      method: req.method ?? 'GET',
      service: null,
      scopes: [],
      account: null,
      basicUser: null,
      grantType: null,
      status: 0,
    };
    records.push(record);
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return reply(404, { error: 'not found' });
    let params: URLSearchParams;
    if (req.method === 'POST') {
      params = new URLSearchParams(await readBody(req));
      record.grantType = params.get('grant_type');
    } else {
      params = url.searchParams;
    }
    record.service = params.get('service');
    record.scopes = params
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    record.account = params.get('account');

    let subject: string | undefined;
    if (req.method === 'POST') {
      if (
        record.grantType !== 'refresh_token' ||
        !auth.refreshToken ||
        params.get('refresh_token') !== auth.refreshToken
      ) {
        return reply(401, { error: 'invalid_grant' });
      }
      subject = auth.username;
    } else {
      const header = req.headers.authorization;
      if (header?.startsWith('Basic ')) {
        const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = decoded.slice(0, colon);
        record.basicUser = user;
        if (user !== auth.username || decoded.slice(colon + 1) !== auth.password) {
          return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
        }
        subject = user;
      }
    }
    const access = record.scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const granted = actions
        .split(',')
        .filter((a) =>
          subject !== undefined ? a === 'pull' || a === 'push' : auth.anonymousPull === true && a === 'pull',
        );
      return [{ type, name, actions: granted }];
    });
    const token = signer.mint(subject ?? '', access);
    reply(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, realm: `http://127.0.0.1:${port}/token` });
    });
  });
}

async function waitReady(
  url: string,
  proc: ChildProcess,
  logs: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`docker-registry exited (${proc.exitCode ?? proc.signalCode}):\n${logs()}`);
    }
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not become ready at ${url}:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a registry on 127.0.0.1 with storage in a fresh temp dir. Call stop() when done. */
export async function startRegistry(opts: { auth?: TestRegistryAuth } = {}): Promise<TestRegistry> {
  const binary = findOnPath(['docker-registry', 'registry']);
  if (!binary) throw missing('docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'palisade-registry-'));
  const storageDir = join(dir, 'storage');
  const tokenRequests: TokenRequestRecord[] = [];
  let tokenServer: Server | undefined;
  let signer: TokenSigner | undefined;
  const auth = opts.auth;

  let authYaml = '';
  if (auth?.kind === 'htpasswd') {
    const htpasswd = findOnPath(['htpasswd']);
    if (!htpasswd) throw missing('htpasswd');
    const line = await run(htpasswd, ['-Bbn', auth.username, auth.password]);
    const path = join(dir, 'htpasswd');
    await writeFile(path, line.trim() + '\n');
    authYaml = `auth:\n  htpasswd:\n    realm: palisade-test\n    path: ${path}\n`;
  } else if (auth?.kind === 'token') {
    signer = await makeSigner(dir);
    const started = await startTokenServer(auth, signer, tokenRequests);
    tokenServer = started.server;
    authYaml =
      `auth:\n  token:\n    realm: ${started.realm}\n    service: ${TOKEN_SERVICE}\n` +
      `    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${signer.certPath}\n`;
  }

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const url = `http://${host}`;
    const configPath = join(dir, 'config.yml');
    await writeFile(
      configPath,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storageDir}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        `  secret: ${randomBytes(16).toString('hex')}`,
        'health:',
        '  storagedriver:',
        '    enabled: false',
        authYaml,
      ].join('\n'),
    );
    const proc = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const collect = (c: Buffer): void => {
      log = (log + c.toString('utf8')).slice(-16_384);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      await waitReady(url, proc, () => log, 20_000);
    } catch (err) {
      lastError = err;
      proc.kill('SIGKILL');
      await exited;
      continue;
    }
    return {
      url,
      host,
      storageDir,
      tokenRequests,
      pushAuthorization(repo: string) {
        if (auth?.kind === 'htpasswd') {
          return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
        }
        if (auth?.kind === 'token' && signer) {
          return `Bearer ${signer.mint(auth.username, [{ type: 'repository', name: repo, actions: ['pull', 'push'] }])}`;
        }
        return undefined;
      },
      blobPath(digest: string) {
        const hex = digest.slice(digest.indexOf(':') + 1);
        return join(
          storageDir,
          'docker/registry/v2/blobs',
          digest.slice(0, digest.indexOf(':')),
          hex.slice(0, 2),
          hex,
          'data',
        );
      },
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        if (tokenServer) {
          const s = tokenServer;
          s.closeAllConnections();
          await new Promise<void>((resolve) => s.close(() => resolve()));
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  tokenServer?.close();
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error('docker-registry did not start');
}

// ---------------------------------------------------------------------------
// Building and pushing images

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export type TestFile =
  | { path: string; content: string | Buffer; mode?: number }
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'symlink'; target: string };

export interface TestLayer {
  /** Uncompressed tar. */
  tar: Buffer;
  /** The blob as pushed (gzip). */
  blob: Buffer;
  digest: string;
  diffId: string;
  size: number;
}

/** A gzip-compressed layer tar with the given entries (fixed mtime, so builds are reproducible). */
export async function buildLayer(files: readonly TestFile[]): Promise<TestLayer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const mtime = new Date(0);
  for (const f of files) {
    if ('type' in f && f.type === 'dir') {
      pack.entry({ name: f.path, type: 'directory', mode: f.mode ?? 0o755, mtime });
    } else if ('type' in f && f.type === 'symlink') {
      pack.entry({ name: f.path, type: 'symlink', linkname: f.target, mode: 0o777, mtime });
    } else if ('content' in f) {
      pack.entry({ name: f.path, mode: f.mode ?? 0o644, mtime }, Buffer.from(f.content));
    }
  }
  pack.finalize();
  await done;
  const tarBuf = Buffer.concat(chunks);
  const blob = gzipSync(tarBuf);
  return { tar: tarBuf, blob, digest: sha256(blob), diffId: sha256(tarBuf), size: blob.length };
}

export function imageConfig(p: {
  os?: string;
  architecture?: string;
  variant?: string;
  diffIds: string[];
  created?: string;
}): Record<string, unknown> {
  return {
    created: p.created ?? '2024-01-02T03:04:05Z',
    architecture: p.architecture ?? 'amd64',
    ...(p.variant ? { variant: p.variant } : {}),
    os: p.os ?? 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: p.diffIds },
    history: p.diffIds.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'palisade test' })),
  };
}

async function expectStatus(res: Response, want: number[], what: string): Promise<void> {
  if (!want.includes(res.status)) {
    const text = await res.text().catch(() => '');
    throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 500)}`);
  }
}

function headers(
  reg: TestRegistry,
  repo: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const auth = reg.pushAuthorization(repo);
  return auth ? { ...extra, authorization: auth } : extra;
}

/** Monolithic blob upload: POST /v2/<repo>/blobs/uploads/, then PUT <location>?digest=. */
export async function pushBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: headers(reg, repo),
  });
  await expectStatus(start, [202], `start upload to ${repo}`);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new Error('registry sent no upload location');
  const put = new URL(location, reg.url);
  put.searchParams.set('digest', digest);
  const res = await fetch(put, {
    method: 'PUT',
    headers: headers(reg, repo, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
    }),
    body: bytes,
  });
  await expectStatus(res, [201], `upload ${digest} to ${repo}`);
  await res.body?.cancel();
  return digest;
}

/** PUT /v2/<repo>/manifests/<reference>; returns the manifest digest. */
export async function pushManifest(
  reg: TestRegistry,
  repo: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(reg, repo, { 'content-type': mediaType }),
    body: bytes,
  });
  await expectStatus(res, [201], `push manifest ${repo}:${reference}`);
  await res.body?.cancel();
  return sha256(bytes);
}

export interface PushedImage {
  repo: string;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  config: Record<string, unknown>;
  layers: TestLayer[];
}

/**
 * Pushes layers, the config and a manifest. With `tag` the manifest is
 * tagged; without, it is stored by digest only (as index children are).
 */
export async function pushImage(
  reg: TestRegistry,
  repo: string,
  p: {
    layers: TestLayer[];
    config?: Record<string, unknown>;
    tag?: string;
    format?: 'oci' | 'docker';
    platform?: { os: string; architecture: string; variant?: string };
  },
): Promise<PushedImage> {
  const format = p.format ?? 'oci';
  const config =
    p.config ??
    imageConfig({
      diffIds: p.layers.map((l) => l.diffId),
      ...(p.platform ?? {}),
    });
  const configBytes = Buffer.from(JSON.stringify(config));
  for (const l of p.layers) await pushBlob(reg, repo, l.blob);
  const configDigest = await pushBlob(reg, repo, configBytes);
  const manifestMediaType = format === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: {
        mediaType: format === 'oci' ? OCI_CONFIG : DOCKER_CONFIG,
        digest: configDigest,
        size: configBytes.length,
      },
      layers: p.layers.map((l) => ({
        mediaType: format === 'oci' ? OCI_LAYER_GZIP : DOCKER_LAYER_GZIP,
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  const manifestDigest = await pushManifest(
    reg,
    repo,
    p.tag ?? sha256(manifest),
    manifest,
    manifestMediaType,
  );
  return { repo, manifest, manifestDigest, manifestMediaType, configDigest, config, layers: p.layers };
}

/** Pushes an index (OCI) or manifest list (Docker) over already pushed images. */
export async function pushIndex(
  reg: TestRegistry,
  repo: string,
  tag: string,
  entries: Array<{
    image: PushedImage;
    platform: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }>,
  format: 'oci' | 'docker' = 'oci',
): Promise<{ digest: string; bytes: Buffer }> {
  const mediaType = format === 'oci' ? OCI_INDEX : DOCKER_LIST;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({
        mediaType: e.image.manifestMediaType,
        digest: e.image.manifestDigest,
        size: e.image.manifest.length,
        platform: e.platform,
        ...(e.annotations ? { annotations: e.annotations } : {}),
      })),
    }),
  );
  const digest = await pushManifest(reg, repo, tag, bytes, mediaType);
  return { digest, bytes };
}

// ---------------------------------------------------------------------------
// A loopback proxy in front of a registry, to exercise retries and redirects
// against the real registry behind it.

export interface ProxyRequestRecord {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Which listener saw it: the proxy itself or the redirect target (`cdn`). */
  via: 'proxy' | 'cdn';
  outcome: 'forwarded' | '503' | 'reset' | 'redirect';
}

export interface TestProxy {
  url: string;
  host: string;
  requests: ProxyRequestRecord[];
  stop(): Promise<void>;
}

export interface ProxyOptions {
  /** Answer this many requests matching `failPath` with 503 before forwarding. */
  fail503?: number;
  /** Destroy the connection of this many requests matching `failPath` before forwarding. */
  reset?: number;
  /** Requests whose path matches are the ones failed (default: all). */
  failPath?: RegExp;
  /**
   * Blob GETs are answered 307 to a second listener (another origin, like a
   * CDN), which fetches from the registry with `upstreamAuthorization`.
   */
  redirectBlobs?: boolean;
  /** Authorization the redirect target uses towards the registry. */
  upstreamAuthorization?: string;
  /**
   * Answers a request itself instead of forwarding it (for content no real
   * registry would store, such as an oversized manifest). The body is sent
   * chunked, without Content-Length.
   */
  override?: (
    method: string,
    path: string,
  ) => { status: number; headers: Record<string, string>; body: Buffer } | undefined;
}

export async function startProxy(target: TestRegistry, opts: ProxyOptions = {}): Promise<TestProxy> {
  const requests: ProxyRequestRecord[] = [];
  let fail503 = opts.fail503 ?? 0;
  let reset = opts.reset ?? 0;

  const forward = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    auth: string | undefined,
  ) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const hdrs: Record<string, string> = {};
    for (const h of ['accept', 'content-type']) {
      const v = req.headers[h];
      if (typeof v === 'string') hdrs[h] = v;
    }
    if (auth) hdrs['authorization'] = auth;
    const up = await fetch(`${target.url}${path}`, {
      method: req.method ?? 'GET',
      headers: hdrs,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['transfer-encoding', 'connection', 'content-encoding', 'keep-alive'].includes(k)) out[k] = v;
    });
    res.writeHead(up.status, out);
    if (up.body) {
      for await (const chunk of up.body) res.write(chunk as Uint8Array);
    }
    res.end();
  };

  const listen = (server: Server): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });

  const cdn = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/cdn/, '');
    requests.push({
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      via: 'cdn',
      outcome: 'forwarded',
    });
    forward(req, res, path, opts.upstreamAuthorization).catch(() => res.destroy());
  });
  const cdnPort = await listen(cdn);

  const proxy = createServer((req, res) => {
    const path = req.url ?? '/';
    const rec: ProxyRequestRecord = {
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      via: 'proxy',
      outcome: 'forwarded',
    };
    requests.push(rec);
    const matches = (opts.failPath ?? /./).test(path);
    if (matches && reset > 0) {
      reset--;
      rec.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (matches && fail503 > 0) {
      fail503--;
      rec.outcome = '503';
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('try again');
      return;
    }
    const own = opts.override?.(req.method ?? 'GET', path);
    if (own) {
      res.writeHead(own.status, own.headers);
      for (let i = 0; i < own.body.length; i += 65_536) res.write(own.body.subarray(i, i + 65_536));
      res.end();
      return;
    }
    if (opts.redirectBlobs && req.method === 'GET' && /\/blobs\/sha256:/.test(path)) {
      rec.outcome = 'redirect';
      res.writeHead(307, { location: `http://127.0.0.1:${cdnPort}/cdn${path}` });
      res.end();
      return;
    }
    forward(req, res, path, req.headers.authorization).catch(() => res.destroy());
  });
  const port = await listen(proxy);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      for (const s of [proxy, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
