/** `palisade db import|info|update` driven through the real CLI in-process. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../testing/shared-data.js';
import { run } from './program.js';

let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env: { HOME: dir, CI: '1', ...env }, cwd: dir });
  return { code, out, err };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cli-db-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('palisade db', () => {
  it('explains itself with --help, with examples', async () => {
    const r = await cli(['db', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['import', 'info', 'update', 'palisade db update']) expect(r.out).toContain(s);
    const u = await cli(['db', 'update', '--help']);
    for (const s of ['--db-mirror', 'PALISADE_DB_ECOSYSTEMS', '--force', 'Examples'])
      expect(u.out).toContain(s);
  });

  it('imports a zip, then shows what is inside', async () => {
    const db = join(dir, 'import.sqlite');
    const r = await cli([
      'db',
      'import',
      sharedData('vulndb', 'osv', 'crates.io', 'all.zip'),
      '--db-path',
      db,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^SOURCE\s+ENTRIES\s+RECORDS\s+WITHDRAWN\s+SKIPPED\s+DUPLICATES\ncrates\.io\s+1,206\s+1,206\s+13\s+0\s+0\n/,
    );
    expect(r.out).toContain(`Advisory database ${db}: 1,206 advisories`);

    const info = await cli(['db', 'info', '--db-path', db]);
    expect(info.code).toBe(0);
    expect(info.err).toBe('');
    expect(info.out).toContain(`Advisory database: ${db}`);
    expect(info.out).toMatch(/Advisories:\s+1,206 \(13 withdrawn, not matched\)/);
    expect(info.out).toMatch(/\ncrates\.io\s+zip\s+1,206\s+13\s+0\s/);
    expect(info.out).toMatch(/\nECOSYSTEM\s+PACKAGES\s+ADVISORIES\ncrates\.io\s+\d+\s+1,193\n/);

    const json = await cli(['db', 'info', '--db-path', db, '--format', 'json', '--check']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as {
      sources: { name: string; records: number }[];
      stale: boolean;
      integrity: string[];
    };
    expect(parsed.sources.map((s) => [s.name, s.records])).toEqual([['crates.io', 1206]]);
    expect(parsed.stale).toBe(false);
    expect(parsed.integrity).toEqual(['ok']);
  });

  it('warns on stderr when the database is older than db.staleAfter', async () => {
    const db = join(dir, 'stale.sqlite');
    expect(
      (await cli(['db', 'import', sharedData('vulndb', 'osv', 'crates.io', 'all.zip'), '--db-path', db]))
        .code,
    ).toBe(0);
    const raw = new Database(db);
    raw
      .prepare("UPDATE meta SET value = '2020-01-01T00:00:00.000Z' WHERE key IN ('built_at', 'checked_at')")
      .run();
    raw.close();
    const r = await cli(['db', 'info', '--db-path', db]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^warning: the advisory database was last updated \d+ days ago, more than db.staleAfter = 24 h; run `palisade db update`\n$/,
    );
    expect((await cli(['db', 'info', '--db-path', db, '--quiet'])).err).toBe('');
    // A larger bound from the environment silences it too.
    expect((await cli(['db', 'info', '--db-path', db], { PALISADE_DB_STALE_AFTER: '1000000' })).err).toBe('');
  });

  it('lists skipped malformed records on stderr and still imports the rest', async () => {
    const src = join(dir, 'mixed');
    mkdirSync(src);
    writeFileSync(
      join(src, 'GOOD-1.json'),
      JSON.stringify({
        id: 'GOOD-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['1.0.0'] }],
      }),
    );
    writeFileSync(join(src, 'BAD-1.json'), '{');
    const r = await cli(['db', 'import', src, '--db-path', join(dir, 'mixed.sqlite')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: mixed: 1 malformed record\(s\) skipped:\n {2}BAD-1\.json: not JSON: /);
    expect(r.out).toMatch(/\nmixed\s+2\s+1\s+0\s+1\s+0\n/);
  });

  it('fails clearly without a database, and on a corrupt one', async () => {
    const missing = await cli(['db', 'info', '--db-path', join(dir, 'absent.sqlite')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(
      /^error E_NOT_FOUND: no advisory database at .*absent\.sqlite\nhint: create it with `palisade db update`/,
    );
    const bad = join(dir, 'bad.sqlite');
    writeFileSync(bad, 'this is not sqlite'.repeat(500));
    const corrupt = await cli(['db', 'info', '--db-path', bad]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.err).toMatch(/^error E_DB_CORRUPT: the advisory database .*bad\.sqlite is damaged/);
    expect(corrupt.err).toMatch(
      /\nhint: rebuild it with `palisade db update` \(online\) or `palisade db import/,
    );
  });

  it('refuses formats other than table and json', async () => {
    const r = await cli(['db', 'info', '--format', 'cyclonedx']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/E_USAGE: db commands print 'table' or 'json'/);
  });
});

describe('palisade db update', () => {
  let server: Server;
  let mirror: string;
  const zip = () => readFileSync(sharedData('vulndb', 'osv', 'crates.io', 'all.zip'));

  beforeAll(async () => {
    // The mirror serves the real crates.io zip and the real EPSS and KEV files, with ETags.
    const files = new Map<string, Buffer>([
      ['/crates.io/all.zip', zip()],
      ['/epss.csv.gz', readFileSync(sharedData('vulndb', 'epss', 'epss_scores.csv.gz'))],
      ['/kev.json', readFileSync(sharedData('vulndb', 'kev', 'known_exploited_vulnerabilities.json'))],
    ]);
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (!body) return void res.writeHead(404).end();
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { etag, 'content-length': String(body.length) }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads from the configured mirror, then finds it unchanged', async () => {
    const db = join(dir, 'update.sqlite');
    const args = [
      'db',
      'update',
      '--db-path',
      db,
      '--db-mirror',
      mirror,
      '--db-ecosystems',
      'crates.io',
      '--epss-url',
      `${mirror}/epss.csv.gz`,
      '--kev-url',
      `${mirror}/kev.json`,
    ];
    const first = await cli(args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`crates.io: downloaded 1.1 MB from ${mirror}/crates.io/all.zip`);
    expect(first.out).toContain(`EPSS: downloaded (${join(dir, 'epss_scores.csv.gz')})`);
    expect(first.out).toContain(`KEV: downloaded (${join(dir, 'known_exploited_vulnerabilities.json')})`);
    expect(first.out).toContain('1,206 advisories');
    const second = await cli(args);
    expect(second.code).toBe(0);
    expect(second.out).toBe(
      `crates.io: unchanged\nEPSS: unchanged (${join(dir, 'epss_scores.csv.gz')})\n` +
        `KEV: unchanged (${join(dir, 'known_exploited_vulnerabilities.json')})\n\n` +
        `Advisory database ${db} is up to date.\n`,
    );
  });

  it('keeps going with a warning when EPSS or KEV cannot be downloaded', async () => {
    const db = join(dir, 'update-no-epss.sqlite');
    const r = await cli([
      'db',
      'update',
      '--db-path',
      db,
      '--db-mirror',
      mirror,
      '--db-ecosystems',
      'crates.io',
      '--epss-url',
      `${mirror}/missing.csv.gz`,
      '--kev-url',
      '',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^warning: EPSS download from .*missing\.csv\.gz failed, the previous file \(if any\) is kept: .*404/,
    );
    expect(r.out).not.toContain('KEV');
  });

  it('exits 2 with the HTTP status when the mirror lacks an ecosystem', async () => {
    const r = await cli([
      'db',
      'update',
      '--db-path',
      join(dir, 'x.sqlite'),
      '--db-mirror',
      mirror,
      '--db-ecosystems',
      'Go',
      '--epss-url',
      '',
      '--kev-url',
      '',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error E_DOWNLOAD: .*\/Go\/all\.zip answered 404/);
  });
});
