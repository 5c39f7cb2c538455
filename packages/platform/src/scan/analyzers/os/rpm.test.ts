import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Package, PackageSet } from '@palisade/api';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../../../core/logger.js';
import { osFixtureSuite } from '../../../testing/os-conformance.js';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { inventoryDirectory } from '../../inventory.js';
import { RPMTAG } from '../lib/rpmdb/header.js';
import type { TagValue } from '../lib/rpmdb/testdata/build.js';
import { buildHeader } from '../lib/rpmdb/testdata/build.js';
import type { AnalysisResult, AnalyzerContext, AnalyzerFile } from '../types.js';
import { analyzer, splitSourceRpm } from './rpm.js';

const fixture = (...p: string[]): string => sharedData('scan', 'go-rpmdb', ...p);
const peerDir = new URL('../lib/rpmdb/testdata/trivy-peer/', import.meta.url);

function file(path: string, content: Buffer): AnalyzerFile {
  return { path, content, size: content.length, mode: 0o644 };
}

async function run(files: AnalyzerFile[], ctx: AnalyzerContext = testContext()): Promise<AnalysisResult> {
  return analyzer.analyze(files, ctx);
}

function onlySet(result: AnalysisResult): PackageSet {
  expect(result.packageSets).toHaveLength(1);
  const set = result.packageSets?.[0];
  if (!set) throw new Error('no package set');
  return set;
}

function codes(ctx: AnalyzerContext): string[] {
  return ctx.diagnostics.items.map((d) => d.code);
}

describe('os/rpm analyzer registration', () => {
  it.each([
    ['var/lib/rpm/Packages', true],
    ['var/lib/rpm/Packages.db', true],
    ['var/lib/rpm/rpmdb.sqlite', true],
    ['var/lib/rpm/rpmdb.sqlite-wal', true],
    ['usr/lib/sysimage/rpm/Packages', true],
    ['usr/lib/sysimage/rpm/Packages.db', true],
    ['usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['usr/lib/sysimage/rpm/rpmdb.sqlite-wal', true],
    ['var/lib/rpm/rpmdb.sqlite-shm', false],
    ['var/lib/rpm/Packages-wal', false],
    ['var/lib/rpm/Name', false],
    ['/var/lib/rpm/Packages', false],
    ['opt/var/lib/rpm/Packages', false],
  ])('requires %s: %s', (path, want) => {
    expect(analyzer.required(path, { size: 1, mode: 0o644 })).toBe(want);
  });

  it('applies to images and root file systems, in group mode', () => {
    expect(analyzer.name).toBe('os/rpm');
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
    expect(analyzer.mode).toBe('group');
  });
});

describe('source rpm names are split as Trivy splits them', () => {
  it.each([
    ['util-linux-2.32.1-42.el8_8.src.rpm', { name: 'util-linux', version: '2.32.1', release: '42.el8_8' }],
    ['glibc-2.31-9.3.2.src.rpm', { name: 'glibc', version: '2.31', release: '9.3.2' }],
    ['foo-1.0-1.i386.rpm', { name: 'foo', version: '1.0', release: '1' }],
    ['python3-pip-21.2.3-6.el9.nosrc.rpm', { name: 'python3-pip', version: '21.2.3', release: '6.el9' }],
    ['no-arch-1', undefined],
    ['nodash.src.rpm', undefined],
    ['one-dash.src.rpm', undefined],
  ])('%s', (input, want) => {
    expect(splitSourceRpm(input)).toEqual(want);
  });
});

/** Trivy's fields for one package, as recorded in testdata/trivy-peer (see its README). */
interface PeerPackage {
  id: string;
  name: string;
  version: string;
  release: string;
  arch: string;
  epoch?: number;
  srcName?: string;
  srcVersion?: string;
  srcRelease?: string;
  srcEpoch?: number;
  licenses?: string[];
  maintainer?: string;
  dependsOn?: string[];
}

const PEER_FIELDS = [
  'id',
  'name',
  'version',
  'release',
  'arch',
  'epoch',
  'srcName',
  'srcVersion',
  'srcRelease',
  'srcEpoch',
  'licenses',
  'maintainer',
  'dependsOn',
] as const;

const peerResults: { fixture: string; packages: number; failed: string[] }[] = [];

afterAll(() => {
  const total = peerResults.reduce((n, r) => n + r.packages, 0);
  const failed = peerResults.flatMap((r) => r.failed);
  const failedPkgs = new Set(failed.map((f) => f.split(':')[0]));
  console.log(
    `Trivy side by side: ${total - failedPkgs.size}/${total} packages identical in ${PEER_FIELDS.length} fields (${((100 * (total - failedPkgs.size)) / Math.max(total, 1)).toFixed(1)}%)`,
  );
  for (const f of failed) console.log(`  FAIL ${f}`);
});

describe('side by side with Trivy on the go-rpmdb fixtures (threshold: 100% of packages)', () => {
  it.each([
    ['libuuid', 'var/lib/rpm/Packages', ['libuuid', 'Packages']],
    ['sle15-bci', 'usr/lib/sysimage/rpm/Packages.db', ['sle15-bci', 'Packages.db']],
    ['cbl-mariner-2.0', 'var/lib/rpm/rpmdb.sqlite', ['cbl-mariner-2.0', 'rpmdb.sqlite']],
  ])('%s', async (name, path, parts) => {
    const files = [analyzerFile(fixture(...parts), path)];
    if (path.endsWith('.sqlite')) files.push(analyzerFile(`${fixture(...parts)}-wal`, `${path}-wal`));
    const ctx = testContext();
    const set = onlySet(await run(files, ctx));
    expect(ctx.diagnostics.items).toEqual([]);
    expect(set.class).toBe('os-pkgs');
    expect(set.type).toBe('rpm');
    expect(set.filePath).toBe(path);

    const peer = (
      JSON.parse(readFileSync(new URL(`${name}.json`, peerDir), 'utf8')) as { packages: PeerPackage[] }
    ).packages;
    const ours = new Map(set.packages.map((p) => [p.id, p]));
    const failed: string[] = [];
    for (const want of peer) {
      const got = ours.get(want.id);
      if (!got) {
        failed.push(`${want.id}: missing`);
        continue;
      }
      for (const k of PEER_FIELDS) {
        const a = JSON.stringify(got[k as keyof Package]);
        const b = JSON.stringify(want[k]);
        if (a !== b) failed.push(`${want.id}: ${k} is ${a}, Trivy has ${b}`);
      }
    }
    const peerIds = new Set(peer.map((p) => p.id));
    for (const p of set.packages) if (!peerIds.has(p.id ?? '')) failed.push(`${p.id}: not in Trivy's output`);
    peerResults.push({ fixture: name, packages: peer.length, failed });
    expect(failed).toEqual([]);
    expect(set.packages).toHaveLength(peer.length);
  });

  // go-rpmdb's own expectations through the analyzer (compareWithGoRpmdb in
  // testing/os-conformance.ts): identity, source package, license, vendor and SIGMD5 digest of
  // every package of sle15-bci, and of the package rpmdb_test.go looks up in libuuid and
  // cbl-mariner-2.0.
  it("agrees with go-rpmdb's expectations, the md5 digest (SIGMD5) included", async () => {
    const report = await osFixtureSuite(analyzer, 'go-rpmdb');
    expect(report.total).toBe(3);
    expect(report.failures).toEqual([]);
  });
});

describe('a database written by rpm itself (lib/rpmdb/testdata/rpm-built)', () => {
  it('gives the packages Trivy would, without the gpg-pubkey entry', async () => {
    const db = gunzipSync(
      readFileSync(new URL('rpm-built/rpmdb.sqlite.gz', new URL('../lib/rpmdb/testdata/', import.meta.url))),
    );
    const ctx = testContext();
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)], ctx));
    expect(ctx.diagnostics.items).toEqual([]);
    // Values from the spec files and rpm -qa (see the README there).
    expect(set.packages).toEqual([
      {
        id: 'hello@1.2-4.el9.noarch',
        name: 'hello',
        version: '1.2',
        release: '4.el9',
        epoch: 3,
        arch: 'noarch',
        srcName: 'hello',
        srcVersion: '1.2',
        srcRelease: '4.el9',
        srcEpoch: 3,
        licenses: ['MIT and (BSD or GPLv2+)'],
        maintainer: 'Palisade Test',
        digest: 'md5:969b1bcd8ec7ce804783038cd81ad5f0',
      },
      {
        id: 'world@0.9-1.noarch',
        name: 'world',
        version: '0.9',
        release: '1',
        arch: 'noarch',
        srcName: 'world',
        srcVersion: '0.9',
        srcRelease: '1',
        licenses: ['ASL 2.0'],
        digest: 'md5:d35efe2894487b15c09d8add370f6f04',
        dependsOn: ['hello@1.2-4.el9.noarch'],
      },
    ]);
  });
});

// --- Databases written by the test -------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'palisade-rpm-test-'));
let dbCount = 0;

function pkgHeader(fields: {
  name: string;
  version?: string;
  release?: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  provides?: string[];
  requires?: string[];
  modularitylabel?: string;
}): Buffer {
  const v: TagValue[] = [{ tag: RPMTAG.NAME, string: fields.name }];
  v.push({ tag: RPMTAG.VERSION, string: fields.version ?? '1.0' });
  v.push({ tag: RPMTAG.RELEASE, string: fields.release ?? '1' });
  if (fields.epoch !== undefined) v.push({ tag: RPMTAG.EPOCH, int32: [fields.epoch] });
  if (fields.arch !== undefined) v.push({ tag: RPMTAG.ARCH, string: fields.arch });
  if (fields.sourceRpm !== undefined) v.push({ tag: RPMTAG.SOURCERPM, string: fields.sourceRpm });
  if (fields.license !== undefined) v.push({ tag: RPMTAG.LICENSE, string: fields.license });
  if (fields.vendor !== undefined) v.push({ tag: RPMTAG.VENDOR, string: fields.vendor });
  if (fields.provides) v.push({ tag: RPMTAG.PROVIDENAME, strings: fields.provides });
  if (fields.requires) v.push({ tag: RPMTAG.REQUIRENAME, strings: fields.requires });
  if (fields.modularitylabel !== undefined)
    v.push({ tag: RPMTAG.MODULARITYLABEL, string: fields.modularitylabel });
  return buildHeader(v);
}

/**
 * An rpm SQLite database in WAL mode. `committed` rows are checkpointed into the
 * main file; `walOnly` rows are committed but live only in the WAL, as after an
 * rpm transaction whose connection was still open when the layer was taken.
 */
function sqliteDb(committed: Buffer[], walOnly: Buffer[] = []): { db: Buffer; wal: Buffer } {
  const path = join(tmp, `db${++dbCount}.sqlite`);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const b of committed) insert.run(b);
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const b of walOnly) insert.run(b);
    return { db: readFileSync(path), wal: readFileSync(`${path}-wal`) };
  } finally {
    db.close();
  }
}

describe('package fields', () => {
  it('maps epoch, source rpm, license, vendor and arch as Trivy does', async () => {
    const { db } = sqliteDb([
      pkgHeader({
        name: 'dbus-libs',
        version: '1.12.10',
        release: '1.fc28',
        epoch: 1,
        arch: 'x86_64',
        sourceRpm: 'dbus-1.12.10-1.fc28.src.rpm',
        license: '(GPLv2+ or AFL) and GPLv2+',
        vendor: 'Fedora Project',
        modularitylabel: 'dbus:1.12:2820180712101432:9edba152',
      }),
    ]);
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)]));
    expect(set.packages).toEqual([
      {
        id: 'dbus-libs@1.12.10-1.fc28.x86_64',
        name: 'dbus-libs',
        version: '1.12.10',
        release: '1.fc28',
        epoch: 1,
        arch: 'x86_64',
        srcName: 'dbus',
        srcVersion: '1.12.10',
        srcRelease: '1.fc28',
        srcEpoch: 1,
        modularitylabel: 'dbus:1.12:2820180712101432:9edba152',
        licenses: ['(GPLv2+ or AFL) and GPLv2+'],
        maintainer: 'Fedora Project',
      },
    ]);
  });

  it('leaves out epoch 0, (none) values and an unsplittable source rpm; a missing arch is None', async () => {
    const { db } = sqliteDb([
      pkgHeader({
        name: 'a',
        epoch: 0,
        arch: 'noarch',
        sourceRpm: '(none)',
        license: '(none)',
        vendor: '(none)',
      }),
      pkgHeader({ name: 'b', sourceRpm: 'garbage' }),
    ]);
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)]));
    expect(set.packages).toEqual([
      { id: 'a@1.0-1.noarch', name: 'a', version: '1.0', release: '1', arch: 'noarch' },
      { id: 'b@1.0-1.', name: 'b', version: '1.0', release: '1', arch: 'None' },
    ]);
  });

  it('resolves requirements to the packages that provide them, without self-references', async () => {
    const { db } = sqliteDb([
      pkgHeader({
        name: 'bash',
        arch: 'x86_64',
        provides: ['bash', '/bin/sh'],
        requires: ['libc.so.6', 'bash'],
      }),
      pkgHeader({
        name: 'glibc',
        arch: 'x86_64',
        provides: ['libc.so.6', 'rtld(GNU_HASH)'],
        requires: ['/bin/sh'],
      }),
      pkgHeader({
        name: 'coreutils',
        arch: 'x86_64',
        requires: ['libc.so.6', 'rtld(GNU_HASH)', '/bin/sh', 'rpmlib(CompressedFileNames)'],
      }),
    ]);
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)]));
    const deps = Object.fromEntries(set.packages.map((p) => [p.name, p.dependsOn]));
    expect(deps).toEqual({
      bash: ['glibc@1.0-1.x86_64'],
      glibc: ['bash@1.0-1.x86_64'],
      coreutils: ['bash@1.0-1.x86_64', 'glibc@1.0-1.x86_64'],
    });
  });

  // Expected divergence from Trivy: Trivy's analyzer lists gpg-pubkey entries (id
  // `gpg-pubkey@<keyid>-<date>.`, arch None — checked with the Trivy build in
  // testdata/trivy-peer/README.md) and skips them only when matching vulnerabilities
  // (aquasecurity/trivy#4720). Palisade leaves them out of the inventory: they are keys, not software.
  // Listed in BEHAVIOUR_DIVERGENCES (testing/fixture-divergences.ts) for the conformance report.
  it('leaves out gpg-pubkey entries', async () => {
    const { db } = sqliteDb([
      pkgHeader({ name: 'gpg-pubkey', version: '18b8e74c', release: '62f2920f', license: 'pubkey' }),
      pkgHeader({ name: 'bash', arch: 'x86_64' }),
    ]);
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)]));
    expect(set.packages.map((p) => p.name)).toEqual(['bash']);
  });
});

describe('SQLite write-ahead log', () => {
  const committed = [pkgHeader({ name: 'bash', arch: 'x86_64' })];
  const walOnly = [pkgHeader({ name: 'curl', arch: 'x86_64' })];

  it('sees rows committed to the WAL when the -wal file is in the same layer', async () => {
    const { db, wal } = sqliteDb(committed, walOnly);
    expect(wal.length).toBeGreaterThan(0);
    const set = onlySet(
      await run([file('var/lib/rpm/rpmdb.sqlite', db), file('var/lib/rpm/rpmdb.sqlite-wal', wal)]),
    );
    expect(set.packages.map((p) => p.name)).toEqual(['bash', 'curl']);
  });

  it('reads only the main file without a -wal file', async () => {
    const { db } = sqliteDb(committed, walOnly);
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)]));
    expect(set.packages.map((p) => p.name)).toEqual(['bash']);
  });

  it('ignores a damaged WAL and reads the main file', async () => {
    const { db } = sqliteDb(committed);
    const ctx = testContext();
    const set = onlySet(
      await run(
        [
          file('var/lib/rpm/rpmdb.sqlite', db),
          file('var/lib/rpm/rpmdb.sqlite-wal', Buffer.alloc(9000, 0x41)),
        ],
        ctx,
      ),
    );
    expect(set.packages.map((p) => p.name)).toEqual(['bash']);
    expect(ctx.diagnostics.items).toEqual([]);
  });

  it('pairs each database with its own WAL when both locations are present', async () => {
    const a = sqliteDb(committed, walOnly);
    const b = sqliteDb([pkgHeader({ name: 'zlib', arch: 'x86_64' })]);
    const result = await run([
      file('usr/lib/sysimage/rpm/rpmdb.sqlite', b.db),
      file('var/lib/rpm/rpmdb.sqlite', a.db),
      file('var/lib/rpm/rpmdb.sqlite-wal', a.wal),
    ]);
    const names = Object.fromEntries(
      (result.packageSets ?? []).map((s) => [s.filePath, s.packages.map((p) => p.name)]),
    );
    expect(names).toEqual({
      'usr/lib/sysimage/rpm/rpmdb.sqlite': ['zlib'],
      'var/lib/rpm/rpmdb.sqlite': ['bash', 'curl'],
    });
  });

  it('notes a non-empty WAL whose database is not in the layer, and reports no set', async () => {
    const { wal } = sqliteDb(committed, walOnly);
    const ctx = testContext();
    const result = await run([file('var/lib/rpm/rpmdb.sqlite-wal', wal)], ctx);
    expect(result.packageSets ?? []).toEqual([]);
    expect(ctx.diagnostics.items).toMatchObject([{ code: 'RPMDB_WAL_WITHOUT_DB', severity: 'info' }]);
  });

  it('reaches the analyzer through a root file system scan, WAL included', async () => {
    const { db, wal } = sqliteDb(committed, walOnly);
    const root = mkdtempSync(join(tmp, 'rootfs-'));
    mkdirSync(join(root, 'usr/lib/sysimage/rpm'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite'), db);
    writeFileSync(join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite-wal'), wal);
    writeFileSync(join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite-shm'), Buffer.alloc(32768, 0xff));
    const report = await inventoryDirectory(root, 'rootfs', 'test', {
      logger: nullLogger,
      analyzers: [analyzer],
    });
    expect(report.diagnostics).toEqual([]);
    expect(report.results).toMatchObject([
      { class: 'os-pkgs', type: 'rpm', packages: [{ name: 'bash' }, { name: 'curl' }] },
    ]);
  });

  it('leaves nothing behind in the scratch directory', async () => {
    const { db, wal } = sqliteDb(committed, walOnly);
    const ctx = testContext();
    await run([file('var/lib/rpm/rpmdb.sqlite', db), file('var/lib/rpm/rpmdb.sqlite-wal', wal)], ctx);
    expect(readdirSync(ctx.scratchDir)).toEqual([]);
  });
});

describe('malformed databases give diagnostics, never exceptions', () => {
  const realDbs: [string, string, string[]][] = [
    ['bdb', 'var/lib/rpm/Packages', ['libuuid', 'Packages']],
    ['ndb', 'usr/lib/sysimage/rpm/Packages.db', ['sle15-bci', 'Packages.db']],
    ['sqlite', 'var/lib/rpm/rpmdb.sqlite', ['cbl-mariner-2.0', 'rpmdb.sqlite']],
  ];

  it.each([
    ['garbage', Buffer.from('this is not a database at all, just some text\n'.repeat(40))],
    ['an empty file', Buffer.alloc(0)],
    ['zeros', Buffer.alloc(8192)],
  ])('%s: RPMDB_UNKNOWN_FORMAT and no package set', async (_name, content) => {
    const ctx = testContext();
    const result = await run([file('var/lib/rpm/Packages', content)], ctx);
    expect(result.packageSets ?? []).toEqual([]);
    expect(codes(ctx)).toEqual(['RPMDB_UNKNOWN_FORMAT']);
  });

  it.each(realDbs)(
    'a truncated %s database yields a diagnostic and what could be read',
    async (_f, path, parts) => {
      const full = readFileSync(fixture(...parts));
      const whole = onlySet(await run([file(path, full)])).packages.length;
      for (const fraction of [0.03, 0.25, 0.5, 0.9]) {
        const ctx = testContext();
        const cut = full.subarray(0, Math.floor(full.length * fraction));
        const result = await run([file(path, cut)], ctx);
        const got = result.packageSets?.[0]?.packages.length ?? 0;
        expect(got, `at ${fraction}`).toBeLessThanOrEqual(whole);
        expect(ctx.diagnostics.items.length, `at ${fraction}`).toBeGreaterThan(0);
      }
    },
  );

  it('a header with an out-of-range offset is reported and the other packages are kept', async () => {
    const good = pkgHeader({ name: 'bash', arch: 'x86_64' });
    const bad = Buffer.from(pkgHeader({ name: 'evil', arch: 'x86_64' }));
    bad.writeInt32BE(0x7ffffff0, 8 + 8); // NAME entry offset
    const { db } = sqliteDb([bad, good]);
    const ctx = testContext();
    const set = onlySet(await run([file('var/lib/rpm/rpmdb.sqlite', db)], ctx));
    expect(set.packages.map((p) => p.name)).toEqual(['bash']);
    expect(codes(ctx)).toEqual(['RPM_HEADER_INVALID']);
  });

  it('an SQLite database whose Packages is a view is refused', async () => {
    const path = join(tmp, 'view.sqlite');
    const db = new Database(path);
    db.exec(
      'CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS hnum, zeroblob(100) AS blob FROM c',
    );
    db.close();
    const ctx = testContext();
    const result = await run([file('var/lib/rpm/rpmdb.sqlite', readFileSync(path))], ctx);
    expect(result.packageSets ?? []).toEqual([]);
    expect(ctx.diagnostics.items).toMatchObject([
      { code: 'RPMDB_CORRUPT', message: 'Packages is a view, not a table' },
    ]);
  });

  it('an SQLite database whose blob column is generated is refused', async () => {
    const path = join(tmp, 'generated.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB AS (zeroblob(hnum)))');
    db.close();
    const ctx = testContext();
    const result = await run([file('var/lib/rpm/rpmdb.sqlite', readFileSync(path))], ctx);
    expect(result.packageSets ?? []).toEqual([]);
    expect(codes(ctx)).toEqual(['RPMDB_CORRUPT']);
  });

  it('an SQLite file with a valid magic and garbage after it yields a diagnostic', async () => {
    const buf = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 0x5a)]);
    const ctx = testContext();
    const result = await run([file('var/lib/rpm/rpmdb.sqlite', buf)], ctx);
    expect(result.packageSets ?? []).toEqual([]);
    expect(codes(ctx)).toEqual(['RPMDB_CORRUPT']);
  });

  it.each(realDbs)('randomly damaged %s databases never throw', async (_f, path, parts) => {
    const full = readFileSync(fixture(...parts));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const rounds = path.endsWith('.sqlite') ? 15 : 60;
    for (let round = 0; round < rounds; round++) {
      const buf = Buffer.from(full);
      const flips = 1 + rand(64);
      // Damage the structure (the first pages and slot tables) more than the bulk data.
      for (let i = 0; i < flips; i++) buf[rand(rand(2) ? 16384 : buf.length)] = rand(256);
      const ctx = testContext();
      await expect(run([file(path, buf)], ctx)).resolves.toBeDefined();
    }
  });
});
