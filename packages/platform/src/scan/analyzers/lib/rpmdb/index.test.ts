/**
 * Conformance of the rpm database readers with go-rpmdb's own expectations
 * for its fixtures (../shared/data/scan/go-rpmdb, read in place): one
 * BerkeleyDB, one NDB and one SQLite database; and with `rpm -qa` itself on
 * every package of the BerkeleyDB and SQLite ones (testdata/rpm-qa). Every
 * field the scanner reads is compared; go-rpmdb's Size, Summary, PGP,
 * RSAHeader and InstallTime are not read by the scanner and so not compared.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { GoRpmdbPackage as GoPackage } from '../../../../testing/lang-conformance.js';
import { sharedData } from '../../../../testing/shared-data.js';
import type { RpmPackageInfo } from './index.js';
import { detectFormat, listPackages } from './index.js';

const scratchDir = mkdtempSync(join(tmpdir(), 'palisade-rpmdb-'));
const fixture = (...p: string[]): string => sharedData('scan', 'go-rpmdb', ...p);

/** One tuple of SLE15WithNDB in rpmdb_testcase_test.go, as the fixture names the fields. */
interface SleTuple {
  epoch: number | null;
  name: string;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  license: string;
  vendor: string;
  modularitylabel: string;
  sigmd5: string;
}

type Comparable = Record<string, unknown>;

function fromGo(p: GoPackage): Comparable {
  return {
    epoch: p.Epoch,
    name: p.Name,
    version: p.Version,
    release: p.Release,
    arch: p.Arch,
    sourceRpm: p.SourceRpm,
    license: p.License,
    vendor: p.Vendor,
    sigmd5: p.SigMD5,
    provides: p.Provides,
    requires: p.Requires,
  };
}

function fromSle(p: SleTuple): Comparable {
  return {
    epoch: p.epoch ?? undefined,
    name: p.name,
    version: p.version,
    release: p.release,
    arch: p.arch,
    sourceRpm: p.sourceRpm,
    license: p.license,
    vendor: p.vendor,
    modularitylabel: p.modularitylabel,
    sigmd5: p.sigmd5,
  };
}

/** Our reading restricted to the fields the expectation has. */
function pick(got: RpmPackageInfo, want: Comparable): Comparable {
  const all: Comparable = { ...got };
  const out: Comparable = {};
  for (const k of Object.keys(want)) out[k] = all[k];
  return out;
}

const results: { fixture: string; fields: number; failed: string[] }[] = [];

function compare(name: string, got: RpmPackageInfo[], wants: Comparable[]): void {
  const failed: string[] = [];
  let fields = 0;
  const byName = new Map(got.map((p) => [p.name, p]));
  for (const want of wants) {
    const g = byName.get(want['name'] as string);
    for (const k of Object.keys(want)) {
      fields++;
      if (!g) {
        failed.push(`${String(want['name'])}: package missing`);
        continue;
      }
      const actual = pick(g, want)[k];
      if (JSON.stringify(actual) !== JSON.stringify(want[k])) {
        failed.push(
          `${String(want['name'])}.${k}: got ${JSON.stringify(actual)}, want ${JSON.stringify(want[k])}`,
        );
      }
    }
  }
  results.push({ fixture: name, fields, failed });
}

/** Parses testdata/rpm-qa/*.tsv (see its README): rpm prints `(none)` for an absent tag. */
function fromRpmQa(text: string): Comparable[] {
  const none = (v: string | undefined): string => (v === undefined || v === '(none)' ? '' : v);
  const list = (v: string | undefined): string[] =>
    none(v) === '' ? [] : (v ?? '').split('\v').slice(0, -1);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const f = line.split('\t');
      return {
        name: f[0],
        epoch: none(f[1]) === '' ? undefined : Number(f[1]),
        version: f[2],
        release: f[3],
        arch: none(f[4]),
        sourceRpm: none(f[5]),
        license: none(f[6]),
        vendor: none(f[7]),
        sigmd5: none(f[8]),
        modularitylabel: none(f[9]),
        provides: list(f[10]),
        requires: list(f[11]),
      };
    });
}

afterAll(() => {
  const fields = results.reduce((n, r) => n + r.fields, 0);
  const failed = results.flatMap((r) => r.failed.map((f) => `${r.fixture}: ${f}`));
  console.log(
    `rpm database conformance (go-rpmdb expectations, rpm -qa): ${fields - failed.length}/${fields} fields match (${((100 * (fields - failed.length)) / Math.max(fields, 1)).toFixed(1)}%) over ${results.map((r) => r.fixture).join(', ')}`,
  );
  for (const f of failed) console.log(`  FAIL ${f}`);
});

describe('go-rpmdb fixtures (threshold: 100% of fields)', () => {
  it('reads the libuuid BerkeleyDB database', async () => {
    const buf = readFileSync(fixture('libuuid', 'Packages'));
    expect(detectFormat(buf)).toBe('bdb');
    const listing = await listPackages(buf, { scratchDir });
    expect(listing.problems).toEqual([]);
    const want = JSON.parse(readFileSync(fixture('libuuid', 'expected-package.json'), 'utf8')) as {
      expected: GoPackage;
    };
    // rpmdb_test.go expects exactly this one package in the database.
    expect(listing.packages.map((p) => p.name)).toEqual(['libuuid']);
    compare('libuuid (bdb)', listing.packages, [fromGo(want.expected)]);
    expect(results.at(-1)?.failed).toEqual([]);
  });

  it('reads the sle15-bci NDB database', async () => {
    const buf = readFileSync(fixture('sle15-bci', 'Packages.db'));
    expect(detectFormat(buf)).toBe('ndb');
    const listing = await listPackages(buf, { scratchDir });
    expect(listing.problems).toEqual([]);
    const want = JSON.parse(
      readFileSync(fixture('sle15-bci', 'expected-packages.json'), 'utf8'),
    ) as SleTuple[];
    expect(want).toHaveLength(35);
    // SLE15WithNDB lists the database's packages in storage order.
    expect(listing.packages.map((p) => p.name)).toEqual(want.map((w) => w.name));
    compare('sle15-bci (ndb)', listing.packages, want.map(fromSle));
    expect(results.at(-1)?.failed).toEqual([]);
  });

  it('reads the cbl-mariner-2.0 SQLite database', async () => {
    const path = fixture('cbl-mariner-2.0', 'rpmdb.sqlite');
    const buf = readFileSync(path);
    expect(detectFormat(buf)).toBe('sqlite');
    const listing = await listPackages(buf, { wal: readFileSync(`${path}-wal`), scratchDir });
    expect(listing.problems).toEqual([]);
    // Every row of the Packages table becomes a package.
    const rows = new Database(path, { readonly: true })
      .prepare('SELECT count(*) AS n FROM Packages')
      .get() as {
      n: number;
    };
    expect(listing.packages).toHaveLength(rows.n);
    const want = JSON.parse(readFileSync(fixture('cbl-mariner-2.0', 'expected-package.json'), 'utf8')) as {
      expected: GoPackage;
    };
    compare('cbl-mariner-2.0 (sqlite)', listing.packages, [fromGo(want.expected)]);
    expect(results.at(-1)?.failed).toEqual([]);
  });
});

describe('rpm -qa on the same fixtures (threshold: 100% of fields)', () => {
  it.each([
    ['libuuid', ['libuuid', 'Packages']],
    ['cbl-mariner-2.0', ['cbl-mariner-2.0', 'rpmdb.sqlite']],
  ])('%s: every package rpm lists, field by field', async (name, parts) => {
    const path = fixture(...parts);
    const buf = readFileSync(path);
    const wal = path.endsWith('.sqlite') ? { wal: readFileSync(`${path}-wal`) } : {};
    const listing = await listPackages(buf, { ...wal, scratchDir });
    const want = fromRpmQa(readFileSync(new URL(`testdata/rpm-qa/${name}.tsv`, import.meta.url), 'utf8'));
    expect(want.length).toBeGreaterThan(0);
    // rpm -qa lists in database order, as the readers do.
    expect(listing.packages.map((p) => p.name)).toEqual(want.map((w) => w['name']));
    compare(`${name} (rpm -qa)`, listing.packages, want);
    expect(results.at(-1)?.failed).toEqual([]);
  });

  it('a database rpm wrote itself, with a gpg-pubkey entry (testdata/rpm-built)', async () => {
    const buf = gunzipSync(readFileSync(new URL('testdata/rpm-built/rpmdb.sqlite.gz', import.meta.url)));
    const listing = await listPackages(buf, { scratchDir });
    expect(listing.problems).toEqual([]);
    const want = fromRpmQa(readFileSync(new URL('testdata/rpm-qa/rpm-built.tsv', import.meta.url), 'utf8'));
    expect(listing.packages.map((p) => p.name)).toEqual(['gpg-pubkey', 'hello', 'world']);
    expect(listing.packages.map((p) => p.name)).toEqual(want.map((w) => w['name']));
    compare('rpm-built (rpm -qa)', listing.packages, want);
    expect(results.at(-1)?.failed).toEqual([]);
  });
});
