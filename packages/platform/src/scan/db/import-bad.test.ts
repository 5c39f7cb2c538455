/**
 * Bad input for the advisory store, one case each: a corrupt or truncated
 * zip, malformed records, damaged zip entries and zip bombs, a locked or
 * corrupt database file, a full disk, an interrupted import. Wherever an
 * import fails, the previous database must still be there byte for byte and
 * no temporary file may be left behind.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { sharedData } from '../../testing/shared-data.js';
import { buildDatabase, sourceFromPath } from './import.js';
import type { SourceInput } from './import.js';
import { AdvisoryStore } from './store.js';

function record(id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    modified: '2024-01-01T00:00:00Z',
    aliases: [`CVE-2024-${id.replace(/\D/g, '').padStart(4, '0')}`],
    affected: [
      {
        package: { ecosystem: 'PyPI', name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2' }] }],
      },
    ],
    ...extra,
  };
}

let dir: string;
let dbPath: string;

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A small database with two records in source `seed`. */
async function seed(): Promise<string> {
  const src = join(dir, 'seed');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'TEST-1.json'), JSON.stringify(record('TEST-1', 'Foo_Bar')));
  writeFileSync(join(src, 'TEST-2.json'), JSON.stringify(record('TEST-2', 'baz')));
  await buildDatabase({ dbPath, inputs: [sourceFromPath(src)] });
  return sha(dbPath);
}

/** The database file is as before, works, and nothing temporary is left beside it. */
function expectPreviousKept(hash: string): void {
  expect(sha(dbPath)).toBe(hash);
  const s = AdvisoryStore.open(dbPath);
  try {
    expect(s.advisoriesFor('PyPI', 'foo-bar').map((e) => e.advisoryId)).toEqual(['TEST-1']);
  } finally {
    s.close();
  }
  expect(readdirSync(dir).filter((n) => n.startsWith('osv.sqlite'))).toEqual(['osv.sqlite']);
}

async function failure(p: Promise<unknown>): Promise<PalisadeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected the import to fail');
}

function zipInput(name: string, files: Zippable): SourceInput {
  const path = join(dir, `${name}.zip`);
  writeFileSync(path, zipSync(files));
  return { name, kind: 'zip', path };
}

/** Offsets of the central directory records of a zip without comment. */
function centralEntries(buf: Buffer): number[] {
  const eocd = buf.length - 22;
  expect(buf.readUInt32LE(eocd)).toBe(0x06054b50);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(p);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return out;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-vulndb-bad-'));
  dbPath = join(dir, 'osv.sqlite');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a corrupt or truncated zip', () => {
  it('fails a zip that is not a zip, and keeps the previous database', async () => {
    const hash = await seed();
    const bad = join(dir, 'Go');
    mkdirSync(bad);
    writeFileSync(join(bad, 'all.zip'), Buffer.alloc(4096, 0x5a));
    const err = await failure(buildDatabase({ dbPath, inputs: [sourceFromPath(join(bad, 'all.zip'))] }));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.message).toContain('not a readable ZIP archive');
    expectPreviousKept(hash);
  });

  it('fails a truncated all.zip (60% of the real crates.io file), and keeps the previous database', async () => {
    const hash = await seed();
    const whole = readFileSync(sharedData('vulndb', 'osv', 'crates.io', 'all.zip'));
    const cut = join(dir, 'crates.io');
    mkdirSync(cut);
    writeFileSync(join(cut, 'all.zip'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    const err = await failure(buildDatabase({ dbPath, inputs: [sourceFromPath(join(cut, 'all.zip'))] }));
    expect(err.code).toBe('E_ARCHIVE_TRUNCATED');
    expect(err.hint).toMatch(/download it again/);
    expectPreviousKept(hash);
  });

  it('fails a zip that lists more entries than allowed (E_LIMIT)', async () => {
    const hash = await seed();
    const input = zipInput('many', {
      'a.json': strToU8(JSON.stringify(record('TEST-3', 'a'))),
      'b.json': strToU8(JSON.stringify(record('TEST-4', 'b'))),
    });
    const err = await failure(buildDatabase({ dbPath, inputs: [input], zipLimits: { maxEntries: 1 } }));
    expect(err.code).toBe('E_LIMIT');
    expectPreviousKept(hash);
  });
});

describe('malformed records', () => {
  it('skips and counts each malformed record with its entry name, and imports the rest (directory)', async () => {
    const src = join(dir, 'mixed');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'good-1.json'), JSON.stringify(record('GOOD-1', 'requests')));
    writeFileSync(join(src, 'sub', 'good-2.json'), JSON.stringify(record('GOOD-2', 'Flask')));
    writeFileSync(join(src, 'not-json.json'), '{"id": "X-1", "modified": ');
    writeFileSync(join(src, 'no-id.json'), JSON.stringify({ modified: '2024-01-01T00:00:00Z' }));
    writeFileSync(
      join(src, 'wrong-types.json'),
      JSON.stringify({ id: 'BAD-1', modified: '2024-01-01T00:00:00Z', affected: { package: 1 } }),
    );
    writeFileSync(
      join(src, 'bad-range.json'),
      JSON.stringify(
        record('BAD-2', 'x', {
          affected: [
            {
              package: { ecosystem: 'PyPI', name: 'x' },
              ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: 12 }] }],
            },
          ],
        }),
      ),
    );
    writeFileSync(join(src, 'not-utf8.json'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]));
    writeFileSync(join(src, 'README.md'), 'not a record, not counted');

    const r = await buildDatabase({ dbPath, inputs: [sourceFromPath(src)] });
    const s = r.sources[0];
    expect(s?.entries).toBe(7);
    expect(s?.records).toBe(2);
    expect(s?.skipped).toBe(5);
    const reasons = Object.fromEntries(s?.skippedEntries.map((e) => [e.entry, e.reason]) ?? []);
    expect(reasons['not-json.json']).toMatch(/^not JSON: /);
    delete reasons['not-json.json'];
    expect(reasons).toEqual({
      'bad-range.json': 'affected[0].ranges[0].events[0].fixed is not a string',
      'no-id.json': 'id is missing',
      'not-utf8.json': 'not UTF-8 text',
      'wrong-types.json': 'affected is not a list',
    });
    const store = AdvisoryStore.open(dbPath);
    try {
      expect(store.advisoriesFor('PyPI', 'flask').map((e) => e.advisoryId)).toEqual(['GOOD-2']);
      expect(store.sources()[0]?.skipped).toBe(5);
      expect(store.skipped('mixed').map((e) => e.entry)).toContain('not-json.json');
    } finally {
      store.close();
    }
  });

  it('skips malformed records inside a zip the same way', async () => {
    const input = zipInput('PyPI', {
      'requests/GOOD-1.json': strToU8(JSON.stringify(record('GOOD-1', 'requests'))),
      'x/BAD-1.json': strToU8('[1, 2, 3]'),
      'x/BAD-2.json': strToU8(JSON.stringify({ id: 'BAD 2 has spaces', modified: 'x' })),
    });
    const r = await buildDatabase({ dbPath, inputs: [input] });
    expect(r.sources[0]?.records).toBe(1);
    expect(r.sources[0]?.skippedEntries).toEqual([
      { entry: 'x/BAD-1.json', reason: 'not a JSON object' },
      { entry: 'x/BAD-2.json', reason: 'id is not a printable ASCII word' },
    ]);
  });
});

describe('damaged zip entries', () => {
  function storedZip(): Buffer {
    return Buffer.from(
      zipSync(
        {
          'a/ONE-1.json': strToU8(JSON.stringify(record('ONE-1', 'one'))),
          'a/TWO-2.json': strToU8(JSON.stringify(record('TWO-2', 'two'))),
        },
        { level: 0 },
      ),
    );
  }

  it('skips an entry whose CRC-32 does not match, or fails the build when archives must be intact', async () => {
    const buf = storedZip();
    // Stored entries: the JSON text is in the file as is; damage one character of the second.
    const at = buf.indexOf('"TWO-2"', buf.indexOf('"TWO-2"'));
    buf[at + 2] = 'X'.charCodeAt(0);
    const path = join(dir, 'crc.zip');
    writeFileSync(path, buf);
    const r = await buildDatabase({ dbPath, inputs: [{ name: 'crc', kind: 'zip', path }] });
    expect(r.sources[0]?.records).toBe(1);
    expect(r.sources[0]?.skippedEntries).toEqual([
      { entry: 'a/TWO-2.json', reason: 'corrupt: CRC-32 mismatch (damaged data)' },
    ]);
    const hash = sha(dbPath);
    const err = await failure(
      buildDatabase({ dbPath, inputs: [{ name: 'crc2', kind: 'zip', path }], strictArchives: true }),
    );
    expect(err.message).toMatch(/entry a\/TWO-2.json is damaged/);
    expect(sha(dbPath)).toBe(hash);
  });

  it('refuses an entry that declares a size DEFLATE cannot reach from its compressed bytes (bomb ratio)', async () => {
    const buf = Buffer.from(
      zipSync({ 'a/ONE-1.json': strToU8(JSON.stringify(record('ONE-1', 'one'))) }, { level: 9 }),
    );
    const [cd] = centralEntries(buf);
    const compressed = buf.readUInt32LE((cd as number) + 20);
    buf.writeUInt32LE(compressed * 2000, (cd as number) + 24);
    const path = join(dir, 'ratio.zip');
    writeFileSync(path, buf);
    const r = await buildDatabase({ dbPath, inputs: [{ name: 'ratio', kind: 'zip', path }] });
    expect(r.sources[0]?.skippedEntries[0]?.reason).toMatch(/^bomb: .*a ratio DEFLATE cannot produce/);
  });

  it('stops inflating an entry that produces more than it declared', async () => {
    const buf = Buffer.from(
      zipSync({ 'a/ONE-1.json': strToU8(JSON.stringify(record('ONE-1', 'one'))) }, { level: 9 }),
    );
    const [cd] = centralEntries(buf);
    const size = buf.readUInt32LE((cd as number) + 24);
    buf.writeUInt32LE(size - 40, (cd as number) + 24);
    const path = join(dir, 'lying.zip');
    writeFileSync(path, buf);
    const r = await buildDatabase({ dbPath, inputs: [{ name: 'lying', kind: 'zip', path }] });
    expect(r.sources[0]?.skippedEntries[0]?.reason).toMatch(
      /^bomb: entry inflates to more than its declared/,
    );
  });

  it('skips an entry over the size bound without inflating it', async () => {
    const input = zipInput('big', { 'a/ONE-1.json': strToU8(JSON.stringify(record('ONE-1', 'one'))) });
    const r = await buildDatabase({ dbPath, inputs: [input], zipLimits: { maxEntryBytes: 100 } });
    expect(r.sources[0]?.skippedEntries[0]?.reason).toMatch(
      /^too-large: entry declares \d+ bytes, over the limit of 100$/,
    );
  });
});

describe('a locked database', () => {
  it('is a clear E_DB_LOCKED error for readers and for an import, and the previous database is kept', async () => {
    const hash = await seed();
    const holder = new Database(dbPath);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      let err: unknown;
      try {
        AdvisoryStore.open(dbPath, { busyTimeoutMs: 50 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PalisadeError);
      expect((err as PalisadeError).code).toBe('E_DB_LOCKED');
      expect((err as PalisadeError).message).toBe(
        `the advisory database ${dbPath} is locked by another process`,
      );
      expect((err as PalisadeError).hint).toMatch(/wait for it to finish/);

      const src = join(dir, 'more');
      mkdirSync(src);
      writeFileSync(join(src, 'TEST-9.json'), JSON.stringify(record('TEST-9', 'nine')));
      const importErr = await failure(
        buildDatabase({ dbPath, inputs: [sourceFromPath(src)], busyTimeoutMs: 50 }),
      );
      expect(importErr.code).toBe('E_DB_LOCKED');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expectPreviousKept(hash);
  });

  it('refuses a second writer while another palisade process holds the writer lock', async () => {
    const hash = await seed();
    writeFileSync(`${dbPath}.lock`, `${process.ppid}\n`);
    const err = await failure(buildDatabase({ dbPath, inputs: [sourceFromPath(join(dir, 'seed'))] }));
    expect(err.code).toBe('E_DB_LOCKED');
    expect(err.message).toContain(`pid ${process.ppid}`);
    expect(sha(dbPath)).toBe(hash);
    // A lock left by a process that is gone is taken over.
    writeFileSync(`${dbPath}.lock`, '999999999\n');
    await buildDatabase({ dbPath, inputs: [sourceFromPath(join(dir, 'seed'))] });
    expect(readdirSync(dir).filter((n) => n.startsWith('osv.sqlite'))).toEqual(['osv.sqlite']);
  });
});

describe('a corrupt database file', () => {
  it('is a clear E_DB_CORRUPT error with a hint to rebuild, and an import replaces it', async () => {
    writeFileSync(dbPath, Buffer.alloc(8192, 0x41));
    let err: unknown;
    try {
      AdvisoryStore.open(dbPath);
    } catch (e) {
      err = e;
    }
    expect((err as PalisadeError).code).toBe('E_DB_CORRUPT');
    expect((err as PalisadeError).message).toContain('is damaged or not a Palisade database');
    expect((err as PalisadeError).hint).toMatch(/palisade db update.*palisade db import/);

    const src = join(dir, 'fresh');
    mkdirSync(src);
    writeFileSync(join(src, 'TEST-1.json'), JSON.stringify(record('TEST-1', 'Foo_Bar')));
    const r = await buildDatabase({ dbPath, inputs: [sourceFromPath(src)] });
    expect(r.previousUnusable).toMatch(/not a database/);
    const s = AdvisoryStore.open(dbPath);
    expect(s.advisoriesFor('PyPI', 'foo.bar').length).toBe(1);
    s.close();
  });

  it('reports a database cut short as damaged when it is read', async () => {
    await buildDatabase({
      dbPath,
      inputs: [sourceFromPath(sharedData('vulndb', 'osv', 'crates.io', 'all.zip'))],
    });
    const whole = readFileSync(dbPath);
    writeFileSync(dbPath, whole.subarray(0, Math.floor(whole.length / 3)));
    let err: unknown;
    try {
      const s = AdvisoryStore.open(dbPath);
      try {
        for (const name of ['openssl', 'tokio', 'hyper', 'smallvec', 'time'])
          s.advisoriesFor('crates.io', name);
        s.info();
      } finally {
        s.close();
      }
    } catch (e) {
      err = e;
    }
    expect((err as PalisadeError).code).toBe('E_DB_CORRUPT');
  });

  it('refuses a database of another schema version with E_DB_SCHEMA', async () => {
    await seed();
    const db = new Database(dbPath);
    db.prepare("UPDATE meta SET value = '0' WHERE key = 'schema_version'").run();
    db.close();
    let err: unknown;
    try {
      AdvisoryStore.open(dbPath);
    } catch (e) {
      err = e;
    }
    expect((err as PalisadeError).code).toBe('E_DB_SCHEMA');
    expect((err as PalisadeError).hint).toMatch(/palisade db update/);
  });
});

describe('a full disk', () => {
  it('fails with E_IO and keeps the previous database when the file system fills up (1 MiB tmpfs)', async (ctx) => {
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      console.log(
        `tmpfs not available (${(err as Error).message.split('\n')[0]}); the max_page_count case below covers the same path`,
      );
      ctx.skip();
      return;
    }
    try {
      dbPath = join(mnt, 'osv.sqlite');
      const hash = await seed();
      const err = await failure(
        buildDatabase({ dbPath, inputs: [sourceFromPath(sharedData('vulndb', 'osv', 'PyPI', 'all.zip'))] }),
      );
      expect(err.code).toBe('E_IO');
      expect(err.message).toMatch(
        /^no space left while building the advisory database in .*; the previous database is unchanged$/,
      );
      expect(sha(dbPath)).toBe(hash);
      expect(readdirSync(mnt)).toEqual(['osv.sqlite']);
      const s = AdvisoryStore.open(dbPath);
      expect(s.advisoriesFor('PyPI', 'foo-bar').length).toBe(1);
      s.close();
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('fails the same way when the database would outgrow its bound (SQLite max_page_count)', async () => {
    const hash = await seed();
    const err = await failure(
      buildDatabase({
        dbPath,
        inputs: [sourceFromPath(sharedData('vulndb', 'osv', 'crates.io', 'all.zip'))],
        maxDatabaseBytes: 512 * 1024,
      }),
    );
    expect(err.code).toBe('E_IO');
    expect(err.message).toMatch(/^no space left/);
    expectPreviousKept(hash);
  });
});

describe('an interrupted import', () => {
  it('stops with E_ABORTED and keeps the previous database', async () => {
    const hash = await seed();
    const ac = new AbortController();
    let seen = 0;
    const err = await failure(
      buildDatabase({
        dbPath,
        inputs: [sourceFromPath(sharedData('vulndb', 'osv', 'Go', 'all.zip'))],
        signal: ac.signal,
        progress: {
          start: () => undefined,
          advance: (n) => {
            seen += n;
            if (seen > 200_000) ac.abort(new Error('interrupted'));
          },
          done: () => undefined,
        },
      }),
    );
    expect(err.code).toBe('E_ABORTED');
    expect(err.message).toContain('the previous database is unchanged');
    expectPreviousKept(hash);
  });

  it('removes temporary files a killed import left behind', async () => {
    await seed();
    // A temp file of a process that no longer runs, and one of a running process (ours) that must stay.
    writeFileSync(`${dbPath}.tmp-999999999-abc`, 'partial');
    copyFileSync(dbPath, `${dbPath}.download-${process.ppid}-Go-xyz`);
    await buildDatabase({ dbPath, inputs: [sourceFromPath(join(dir, 'seed'))] });
    expect(
      readdirSync(dir)
        .filter((n) => n.startsWith('osv.sqlite'))
        .sort(),
    ).toEqual(['osv.sqlite', `osv.sqlite.download-${process.ppid}-Go-xyz`]);
  });
});
