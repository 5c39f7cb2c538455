/**
 * downloadEnrichment against a real HTTP server on 127.0.0.1 serving the real
 * EPSS and KEV files: 200 then 304 with the stored validators, a changed
 * file, a truncated gzip, a body cut short of its Content-Length, an
 * oversize download (declared and undeclared), a 404. After every failure the
 * previous file is still there byte for byte.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { downloadEnrichment, enrichmentPath } from './download.js';
import { readEpss } from './epss.js';

type Mode = 'ok' | 'cut' | 'chunked';
interface Route {
  body: Buffer;
  etag: string;
  mode: Mode;
}
const routes = new Map<string, Route>();
const seen: { path: string; headers: IncomingHttpHeaders; status: number }[] = [];
let server: Server;
let base: string;

const EPSS = readFileSync(sharedData('vulndb', 'epss', 'epss_scores.csv.gz'));
const KEV = readFileSync(sharedData('vulndb', 'kev', 'known_exploited_vulnerabilities.json'));

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const r = routes.get(path);
    const done = (status: number): void => void seen.push({ path, headers: req.headers, status });
    if (!r) {
      done(404);
      res.writeHead(404).end('nope');
      return;
    }
    if (req.headers['if-none-match'] === r.etag) {
      done(304);
      res.writeHead(304, { etag: r.etag }).end();
      return;
    }
    done(200);
    if (r.mode === 'cut') {
      res.writeHead(200, { etag: r.etag, 'content-length': String(r.body.length) });
      res.write(r.body.subarray(0, r.body.length >> 1), () => res.destroy());
      return;
    }
    if (r.mode === 'chunked') {
      res.writeHead(200, { etag: r.etag, 'transfer-encoding': 'chunked' });
      res.end(r.body);
      return;
    }
    res.writeHead(200, { etag: r.etag, 'content-length': String(r.body.length) }).end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

function last(): { headers: IncomingHttpHeaders; status: number } {
  return seen[seen.length - 1] as { headers: IncomingHttpHeaders; status: number };
}

describe('downloadEnrichment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-enrich-'));
  const epssPath = enrichmentPath('epss', dir);

  it('downloads, validates and stores the EPSS file with its validators', async () => {
    routes.set('/epss.csv.gz', { body: EPSS, etag: '"v1"', mode: 'ok' });
    const r = await downloadEnrichment('epss', `${base}/epss.csv.gz`, dir);
    expect(r.status).toBe('downloaded');
    expect(readFileSync(epssPath).equals(EPSS)).toBe(true);
    expect(r.meta?.etag).toBe('"v1"');
    expect((await readEpss(epssPath)).table.size).toBeGreaterThan(300_000);
  });
  it('sends the stored ETag and keeps the file on 304', async () => {
    const r = await downloadEnrichment('epss', `${base}/epss.csv.gz`, dir);
    expect(r.status).toBe('unchanged');
    expect(last()).toMatchObject({ status: 304, headers: { 'if-none-match': '"v1"' } });
  });
  it('replaces the file when it changed', async () => {
    const small = Buffer.from(
      (await import('node:zlib')).gzipSync('cve,epss,percentile\nCVE-2024-0001,0.5,0.9\n'),
    );
    routes.set('/epss.csv.gz', { body: small, etag: '"v2"', mode: 'ok' });
    const r = await downloadEnrichment('epss', `${base}/epss.csv.gz`, dir);
    expect(r.status).toBe('downloaded');
    expect((await readEpss(epssPath)).table.size).toBe(1);
    routes.set('/epss.csv.gz', { body: EPSS, etag: '"v3"', mode: 'ok' });
    await downloadEnrichment('epss', `${base}/epss.csv.gz`, dir);
    expect(readFileSync(epssPath).equals(EPSS)).toBe(true);
  });
  const keepsPrevious = (): void => {
    expect(readFileSync(epssPath).equals(EPSS)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('.download-'))).toEqual([]);
  };
  it('rejects a truncated gzip served whole, and keeps the previous file', async () => {
    routes.set('/epss.csv.gz', { body: EPSS.subarray(0, EPSS.length - 1000), etag: '"t"', mode: 'ok' });
    await expect(downloadEnrichment('epss', `${base}/epss.csv.gz`, dir)).rejects.toMatchObject({
      code: 'E_DOWNLOAD',
      message: expect.stringMatching(/not a valid EPSS/) as unknown,
    });
    keepsPrevious();
  });
  it('rejects a body cut short of its Content-Length', async () => {
    routes.set('/epss.csv.gz', { body: EPSS, etag: '"c"', mode: 'cut' });
    await expect(downloadEnrichment('epss', `${base}/epss.csv.gz`, dir)).rejects.toMatchObject({
      code: 'E_DOWNLOAD',
    });
    keepsPrevious();
  });
  it('refuses an oversize download, declared or not', async () => {
    routes.set('/epss.csv.gz', { body: EPSS, etag: '"o"', mode: 'ok' });
    await expect(
      downloadEnrichment('epss', `${base}/epss.csv.gz`, dir, { maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'E_LIMIT' });
    routes.set('/epss.csv.gz', { body: EPSS, etag: '"o2"', mode: 'chunked' });
    await expect(
      downloadEnrichment('epss', `${base}/epss.csv.gz`, dir, { maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'E_LIMIT' });
    keepsPrevious();
  });
  it('reports a 404 and a refused connection as E_DOWNLOAD', async () => {
    await expect(downloadEnrichment('kev', `${base}/missing.json`, dir)).rejects.toMatchObject({
      code: 'E_DOWNLOAD',
    });
    await expect(downloadEnrichment('kev', 'http://127.0.0.1:1/kev.json', dir)).rejects.toMatchObject({
      code: 'E_DOWNLOAD',
    });
  });
  it('downloads the KEV catalogue and rejects one that is not JSON', async () => {
    routes.set('/kev.json', { body: KEV, etag: '"k1"', mode: 'ok' });
    expect((await downloadEnrichment('kev', `${base}/kev.json`, dir)).status).toBe('downloaded');
    routes.set('/kev.json', { body: Buffer.from('<html>maintenance</html>'), etag: '"k2"', mode: 'ok' });
    await expect(downloadEnrichment('kev', `${base}/kev.json`, dir)).rejects.toMatchObject({
      code: 'E_DOWNLOAD',
    });
    expect(readFileSync(enrichmentPath('kev', dir)).equals(KEV)).toBe(true);
  });
  it('rejects URLs that are not http(s)', async () => {
    await expect(downloadEnrichment('kev', 'file:///etc/passwd', dir)).rejects.toMatchObject({
      code: 'E_CONFIG',
    });
  });
});
