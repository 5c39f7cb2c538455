/**
 * `db update` against a real HTTP server on 127.0.0.1 that serves the OSV
 * zips of ../shared/data/vulndb/osv in osv.dev's layout: conditional
 * requests and 304s, a changed ecosystem, and downloads that go wrong
 * (truncated, corrupt, missing, failing once, wrong digest). Nothing here
 * reaches the internet.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { sharedData } from '../../testing/shared-data.js';
import { buildDatabase } from './import.js';
import { AdvisoryStore } from './store.js';
import type { UpdateOptions } from './update.js';
import { ecosystemUrl, updateDatabase } from './update.js';

type Mode =
  'ok' | 'truncate' | 'chunked-truncate' | 'garbage' | 'fail-once' | 'bad-md5' | 'reset-once' | 'reset';

interface Route {
  body: Buffer;
  etag: string;
  lastModified: string;
  mode: Mode;
  failed?: boolean;
}

const ECOSYSTEMS = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'];
const routes = new Map<string, Route>();
const requests: { path: string; headers: IncomingHttpHeaders; status: number }[] = [];
let server: Server;
let mirror: string;
let dir: string;
let dbPath: string;

function route(eco: string, body: Buffer, version: number, mode: Mode = 'ok'): void {
  routes.set(`/${encodeURIComponent(eco)}/all.zip`, {
    body,
    etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}-${version}"`,
    lastModified: new Date(Date.UTC(2026, 10, 20 + version)).toUTCString(),
    mode,
  });
}

function realZip(eco: string): Buffer {
  return readFileSync(sharedData('vulndb', 'osv', eco, 'all.zip'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-vulndb-update-'));
  dbPath = join(dir, 'db', 'osv.sqlite');
  for (const e of ECOSYSTEMS) route(e, realZip(e), 1);
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const r = routes.get(path);
    const done = (status: number): void => {
      requests.push({ path, headers: req.headers, status });
    };
    if (!r) {
      done(404);
      res.writeHead(404).end('no such object');
      return;
    }
    if (r.mode === 'reset' || (r.mode === 'reset-once' && !r.failed)) {
      // What a client meets on a kept-alive connection the server has closed: a
      // reset before any byte of a response.
      r.failed = true;
      done(0);
      req.socket.resetAndDestroy();
      return;
    }
    if (r.mode === 'fail-once' && !r.failed) {
      r.failed = true;
      done(503);
      res.writeHead(503).end('try later');
      return;
    }
    if (req.headers['if-none-match'] === r.etag) {
      done(304);
      res.writeHead(304, { etag: r.etag }).end();
      return;
    }
    done(200);
    const md5 = createHash('md5')
      .update(r.mode === 'bad-md5' ? Buffer.from('other') : r.body)
      .digest('base64');
    const headers = {
      etag: r.etag,
      'last-modified': r.lastModified,
      'content-type': 'application/zip',
      'x-goog-hash': `crc32c=AAAAAA==,md5=${md5}`,
    };
    if (r.mode === 'truncate') {
      res.writeHead(200, { ...headers, 'content-length': String(r.body.length) });
      res.write(r.body.subarray(0, r.body.length >> 1), () => res.destroy());
      return;
    }
    if (r.mode === 'chunked-truncate') {
      const { 'x-goog-hash': _skip, ...rest } = headers;
      res.writeHead(200, rest);
      res.end(r.body.subarray(0, r.body.length >> 1));
      return;
    }
    const body = r.mode === 'garbage' ? Buffer.alloc(r.body.length, 0x42) : r.body;
    const md5Body = createHash('md5').update(body).digest('base64');
    res.writeHead(200, {
      ...headers,
      ...(r.mode === 'garbage' ? { 'x-goog-hash': `md5=${md5Body}` } : {}),
      'content-length': String(body.length),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function opts(extra: Partial<UpdateOptions> = {}): UpdateOptions {
  return { dbPath, mirror, ecosystems: ECOSYSTEMS, retries: 0, retryBaseMs: 1, ...extra };
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function failure(p: Promise<unknown>): Promise<PalisadeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected the update to fail');
}

/** The previous file is there byte for byte, and only it (no temp file, no lock). */
function expectPreviousKept(hash: string): void {
  expect(sha(dbPath)).toBe(hash);
  expect(readdirSync(join(dir, 'db'))).toEqual(['osv.sqlite']);
  const s = AdvisoryStore.open(dbPath);
  try {
    expect(s.advisoriesFor('Go', 'github.com/altcha-org/altcha-lib-go').map((e) => e.advisoryId)).toEqual([
      'GO-2025-4239',
    ]);
  } finally {
    s.close();
  }
}

describe('db update from a mirror', () => {
  it('downloads every configured ecosystem on the first run and keeps the HTTP validators', async () => {
    requests.length = 0;
    const r = await updateDatabase(opts({ now: () => new Date('2026-11-24T00:00:00Z') }));
    expect(r.downloaded.map((d) => [d.ecosystem, d.bytes])).toEqual(
      ECOSYSTEMS.map((e) => [e, realZip(e).length]),
    );
    expect(r.unchanged).toEqual([]);
    expect(requests.map((q) => [q.path, q.status, q.headers['if-none-match']])).toEqual(
      ECOSYSTEMS.map((e) => [`/${encodeURIComponent(e)}/all.zip`, 200, undefined]),
    );
    expect(r.build?.sources.map((s) => [s.name, s.kind, s.entries, s.skipped])).toEqual([
      ['Go', 'download', 4291, 0],
      ['PyPI', 'download', 7080, 0],
      ['crates.io', 'download', 1206, 0],
      ['AlmaLinux', 'download', 5680, 0],
    ]);
    const s = AdvisoryStore.open(dbPath);
    try {
      const go = s.sources().find((x) => x.name === 'Go');
      expect(go?.etag).toBe(routes.get('/Go/all.zip')?.etag);
      expect(go?.lastModified).toBe(routes.get('/Go/all.zip')?.lastModified);
      expect(go?.origin).toBe(`${mirror}/Go/all.zip`);
      expect(go?.sha256).toBe(createHash('sha256').update(realZip('Go')).digest('hex'));
      expect(s.info().builtAt).toBe('2026-11-24T00:00:00.000Z');
    } finally {
      s.close();
    }
    expect(readdirSync(join(dir, 'db'))).toEqual(['osv.sqlite']);
  }, 60_000);

  it('sends conditional requests next time and, on 304 everywhere, only records the check', async () => {
    requests.length = 0;
    const before = sha(dbPath);
    const r = await updateDatabase(opts({ now: () => new Date('2026-11-25T00:00:00Z') }));
    expect(r.downloaded).toEqual([]);
    expect(r.unchanged).toEqual(ECOSYSTEMS);
    expect(r.build).toBeUndefined();
    for (const q of requests) {
      const route = routes.get(q.path);
      expect(q.status).toBe(304);
      expect(q.headers['if-none-match']).toBe(route?.etag);
      expect(q.headers['if-modified-since']).toBe(route?.lastModified);
    }
    expect(sha(dbPath)).not.toBe(before); // the check time was written
    const s = AdvisoryStore.open(dbPath);
    try {
      const info = s.info();
      expect(info.builtAt).toBe('2026-11-24T00:00:00.000Z');
      expect(info.checkedAt).toBe('2026-11-25T00:00:00.000Z');
      expect(info.sources.every((x) => x.checkedAt === '2026-11-25T00:00:00.000Z')).toBe(true);
      // What a scan reads (no counts) says the same.
      expect(s.build()).toEqual({ builtAt: info.builtAt, checkedAt: info.checkedAt, sources: info.sources });
    } finally {
      s.close();
    }
  });

  it('downloads only the ecosystem that changed and keeps the others from the previous database', async () => {
    route('crates.io', realZip('crates.io'), 2);
    requests.length = 0;
    const r = await updateDatabase(opts({ now: () => new Date('2026-11-26T00:00:00Z') }));
    expect(r.downloaded.map((d) => d.ecosystem)).toEqual(['crates.io']);
    expect(r.unchanged).toEqual(['Go', 'PyPI', 'AlmaLinux']);
    expect(r.build?.kept.sort()).toEqual(['AlmaLinux', 'Go', 'PyPI']);
    const s = AdvisoryStore.open(dbPath);
    try {
      const byName = new Map(s.sources().map((x) => [x.name, x]));
      expect(byName.get('crates.io')?.importedAt).toBe('2026-11-26T00:00:00.000Z');
      expect(byName.get('crates.io')?.etag).toBe(routes.get('/crates.io/all.zip')?.etag);
      expect(byName.get('Go')?.importedAt).toBe('2026-11-24T00:00:00.000Z');
      expect(byName.get('Go')?.checkedAt).toBe('2026-11-26T00:00:00.000Z');
      expect(s.info().advisories).toBe(4291 + 7080 + 1206 + 5637);
      // Alias groups still span sources after a partial rebuild.
      expect(s.aliasGroup('GO-2025-4239')).toContain('PYSEC-2026-1115');
      expect(s.advisoriesFor('crates.io', 'openssl').length).toBe(10);
    } finally {
      s.close();
    }
  }, 60_000);
});

describe('db update that goes wrong keeps the previous database', () => {
  it('a download cut short (fewer bytes than Content-Length) is E_DOWNLOAD', async () => {
    const hash = sha(dbPath);
    route('Go', realZip('Go'), 3, 'truncate');
    const err = await failure(updateDatabase(opts()));
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toMatch(/download of .*\/Go\/all.zip was cut short/);
    expectPreviousKept(hash);
  });

  it('a truncated zip sent without Content-Length fails the import', async () => {
    const hash = sha(dbPath);
    route('Go', realZip('Go'), 4, 'chunked-truncate');
    const err = await failure(updateDatabase(opts()));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expectPreviousKept(hash);
  });

  it('a corrupt zip (valid transfer, garbage content) fails the import', async () => {
    const hash = sha(dbPath);
    route('Go', realZip('Go'), 5, 'garbage');
    const err = await failure(updateDatabase(opts()));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toContain('not a readable ZIP archive');
    expectPreviousKept(hash);
  });

  it('a body whose MD5 differs from x-goog-hash fails the integrity check', async () => {
    const hash = sha(dbPath);
    route('Go', realZip('Go'), 6, 'bad-md5');
    const err = await failure(updateDatabase(opts()));
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toMatch(/integrity check failed .*MD5 does not match x-goog-hash/);
    expectPreviousKept(hash);
  });

  it('an ecosystem the mirror does not have is E_DOWNLOAD with a hint', async () => {
    const hash = sha(dbPath);
    route('Go', realZip('Go'), 1);
    const err = await failure(updateDatabase(opts({ ecosystems: ['Go', 'Rocky Linux'] })));
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toBe(`${mirror}/Rocky%20Linux/all.zip answered 404 Not Found`);
    expect(err.hint).toMatch(/check the ecosystem name/);
    expectPreviousKept(hash);
  });

  it('an unreachable mirror is E_DOWNLOAD with a hint', async () => {
    const hash = sha(dbPath);
    const err = await failure(updateDatabase(opts({ mirror: 'http://127.0.0.1:9' })));
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toMatch(/^cannot reach 127\.0\.0\.1:9/);
    expect(err.hint).toMatch(/palisade db import/);
    expectPreviousKept(hash);
  });
});

describe('db update on a full disk', () => {
  it('fails with E_IO while downloading and keeps the previous database (1 MiB tmpfs)', async (ctx) => {
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      console.log(
        `tmpfs not available (${(err as Error).message.split('\n')[0]}); import-bad.test.ts covers the build path`,
      );
      ctx.skip();
      return;
    }
    try {
      const small = join(mnt, 'osv.sqlite');
      // A first database that fits: the small crates.io zip is 1.1 MB, so build it from a directory instead.
      const src = join(dir, 'seed');
      mkdirSync(src, { recursive: true });
      const rec = {
        id: 'SEED-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'Go', name: 'example.com/m' }, versions: ['v1.0.0'] }],
      };
      writeFileSync(join(src, 'SEED-1.json'), JSON.stringify(rec));
      await buildDatabase({ dbPath: small, inputs: [{ name: 'seed', kind: 'dir', path: src }] });
      const hash = sha(small);
      route('Go', realZip('Go'), 8);
      const err = await failure(updateDatabase(opts({ dbPath: small, ecosystems: ['Go'] })));
      expect(err.code).toBe('E_IO');
      expect(err.message).toMatch(
        /^no space left while downloading .*\/Go\/all\.zip to .*; the previous database is unchanged$/,
      );
      expect(sha(small)).toBe(hash);
      expect(readdirSync(mnt)).toEqual(['osv.sqlite']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('db update retries', () => {
  it('retries a 503 and succeeds', async () => {
    route('crates.io', realZip('crates.io'), 7, 'fail-once');
    requests.length = 0;
    const r = await updateDatabase(opts({ ecosystems: ['crates.io'], retries: 1 }));
    expect(requests.map((q) => q.status)).toEqual([503, 200]);
    expect(r.downloaded.map((d) => d.ecosystem)).toEqual(['crates.io']);
  }, 60_000);
});

describe('db update on a connection reset before the response', () => {
  it('sends the request once more at once, without using a retry', async () => {
    route('crates.io', realZip('crates.io'), 8, 'reset-once');
    requests.length = 0;
    const r = await updateDatabase(opts({ ecosystems: ['crates.io'], retries: 0 }));
    expect(requests.map((q) => q.status)).toEqual([0, 200]);
    expect(r.downloaded.map((d) => d.ecosystem)).toEqual(['crates.io']);
  }, 60_000);

  it('a second reset is E_DOWNLOAD and keeps the previous database', async () => {
    const hash = sha(dbPath);
    route('crates.io', realZip('crates.io'), 9, 'reset');
    requests.length = 0;
    const err = await failure(updateDatabase(opts({ ecosystems: ['crates.io'], retries: 0 })));
    expect(requests.map((q) => q.status)).toEqual([0, 0]);
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toMatch(/^cannot reach 127\.0\.0\.1:\d+ for .*crates\.io\/all\.zip: fetch failed/);
    expectPreviousKept(hash);
  });
});

describe('mirror URLs', () => {
  it('puts the ecosystem in one path segment under the mirror', () => {
    expect(ecosystemUrl('https://m.example/osv', 'Rocky Linux').href).toBe(
      'https://m.example/osv/Rocky%20Linux/all.zip',
    );
    expect(ecosystemUrl('https://m.example/osv/', 'crates.io').href).toBe(
      'https://m.example/osv/crates.io/all.zip',
    );
    expect(ecosystemUrl('https://m.example', 'Maven').href).toBe('https://m.example/Maven/all.zip');
    expect(() => ecosystemUrl('ftp://m.example', 'Go')).toThrow(/http\(s\) URL/);
    expect(() => ecosystemUrl('not a url', 'Go')).toThrow(/not a URL/);
  });
});
