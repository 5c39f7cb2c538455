/**
 * A database written by the previous schema (2: the match index without the
 * finding templates, `match_packages.meta` instead of `findings`) is refused
 * by a scan with a clear message, and `db import`/`db update` replace it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { buildDatabase, sourceFromPath } from './import.js';
import { AdvisoryStore } from './store.js';

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-schema-'));
  dbPath = join(dir, 'osv.sqlite');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function source(name: string, id: string, pkg: string): string {
  const src = join(dir, name);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, `${id}.json`),
    JSON.stringify({
      id,
      modified: '2024-01-01T00:00:00Z',
      summary: 'Important: a flaw',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        {
          package: { ecosystem: 'PyPI', name: pkg },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
        },
      ],
    }),
  );
  return src;
}

/** Turns a current file into one as schema 2 laid it out. */
function downgradeToSchema2(path: string): void {
  const db = new Database(path);
  db.exec('ALTER TABLE match_packages RENAME COLUMN findings TO meta');
  db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
  db.close();
}

function openError(): PalisadeError {
  try {
    AdvisoryStore.open(dbPath).close();
  } catch (err) {
    return err as PalisadeError;
  }
  throw new Error('the database opened');
}

describe('a database of the previous schema (2)', () => {
  it('is refused by scans with E_DB_SCHEMA, naming both versions and how to rebuild it', async () => {
    await buildDatabase({ dbPath, inputs: [sourceFromPath(source('old', 'OLD-1', 'foo'))] });
    downgradeToSchema2(dbPath);
    const err = openError();
    expect(err).toBeInstanceOf(PalisadeError);
    expect(err.code).toBe('E_DB_SCHEMA');
    expect(err.message).toBe(
      `the advisory database ${dbPath} has schema version 2; this Palisade reads version 3`,
    );
    expect(err.hint).toMatch(/palisade db update/);
    expect(err.hint).toMatch(/palisade db import/);
  });

  it('is replaced by an import, which says why its sources were not kept', async () => {
    await buildDatabase({ dbPath, inputs: [sourceFromPath(source('old', 'OLD-1', 'foo'))] });
    downgradeToSchema2(dbPath);
    const result = await buildDatabase({ dbPath, inputs: [sourceFromPath(source('new', 'NEW-1', 'bar'))] });
    expect(result.previousUnusable).toBe('it has schema version 2, not 3');
    expect(result.kept).toEqual([]);
    const store = AdvisoryStore.open(dbPath);
    try {
      expect(store.sources().map((s) => s.name)).toEqual(['new']);
      expect(store.packageAdvisories('PyPI', 'foo')).toBeUndefined();
      const bar = store.packageAdvisories('PyPI', 'bar');
      expect(bar?.entries.map((e) => e[0])).toEqual(['NEW-1']);
      // The template the new file holds: the vector scored at import, the rating of the summary.
      expect(bar?.template(0)).toEqual([
        'NEW-1',
        [],
        ['2.0'],
        'new',
        [['v3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8]],
        'HIGH',
        'Important: a flaw',
        null,
        '2024-01-01T00:00:00Z',
      ]);
    } finally {
      store.close();
    }
  });
});
