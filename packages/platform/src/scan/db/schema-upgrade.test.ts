/**
 * A database written by an older schema (3: the match index with OSV ranges
 * as the records state them, compiled at every scan; 2: without the finding
 * templates, `match_packages.meta` instead of `findings`) is refused by a scan
 * with a clear message, and `db import`/`db update` replace it.
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

/** Turns a current file into one as schema 3 laid it out: ranges as stated, only listed versions in `versions`. */
function downgradeToSchema3(path: string): void {
  const db = new Database(path);
  db.exec(`UPDATE match_packages SET versions = NULL, entries = (
             SELECT json_group_array(json_array(a.id, a.group_id, a.source, json(f.ranges), NULL))
               FROM affected f JOIN advisories a ON a.rowid = f.advisory
              WHERE f.ecosystem = match_packages.ecosystem AND f.name = match_packages.name)`);
  db.prepare("UPDATE meta SET value = '3' WHERE key = 'schema_version'").run();
  db.close();
}

/** Turns a current file into one as schema 2 laid it out. */
function downgradeToSchema2(path: string): void {
  downgradeToSchema3(path);
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

describe.each([
  [3, downgradeToSchema3],
  [2, downgradeToSchema2],
])('a database of an older schema (%i)', (version, downgrade) => {
  it('is refused by scans with E_DB_SCHEMA, naming both versions and how to rebuild it', async () => {
    await buildDatabase({ dbPath, inputs: [sourceFromPath(source('old', 'OLD-1', 'foo'))] });
    downgrade(dbPath);
    const err = openError();
    expect(err).toBeInstanceOf(PalisadeError);
    expect(err.code).toBe('E_DB_SCHEMA');
    expect(err.message).toBe(
      `the advisory database ${dbPath} has schema version ${version}; this Palisade reads version 4`,
    );
    expect(err.hint).toMatch(/palisade db update/);
    expect(err.hint).toMatch(/palisade db import/);
  });

  it('is replaced by an import, which says why its sources were not kept', async () => {
    await buildDatabase({ dbPath, inputs: [sourceFromPath(source('old', 'OLD-1', 'foo'))] });
    downgrade(dbPath);
    const result = await buildDatabase({ dbPath, inputs: [sourceFromPath(source('new', 'NEW-1', 'bar'))] });
    expect(result.previousUnusable).toBe(`it has schema version ${version}, not 4`);
    expect(result.kept).toEqual([]);
    const store = AdvisoryStore.open(dbPath);
    try {
      expect(store.sources().map((s) => s.name)).toEqual(['new']);
      expect(store.packageAdvisories('PyPI', 'foo')).toBeUndefined();
      const bar = store.packageAdvisories('PyPI', 'bar');
      expect(bar?.entries.map((e) => e[0])).toEqual(['NEW-1']);
      // The range as the new file holds it (schema 4): introduced "0" (no version), fixed at index 0 of the list.
      expect(bar?.entries[0]?.[3]).toEqual([[0, 0 * 4 + 0, (0 + 1) * 4 + 1]]);
      expect(bar?.versions()).toEqual([1, ['2.0']]);
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
