/**
 * The advisory store built from the four real OSV zips in ../shared/data/vulndb/osv.
 * Expectations come from an independent reading of the same zips (fflate's
 * unzipSync and plain JSON.parse), not from the importer: counts, withdrawn
 * records, alias groups (a second union-find written here) and the advisory
 * IDs every package lookup must return.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import type { BuildResult } from './import.js';
import { buildDatabase, sourceFromPath } from './import.js';
import { normalizePackageName } from './normalize.js';
import type { OsvRecord } from './osv.js';
import { AdvisoryStore } from './store.js';

const ECOSYSTEMS = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'] as const;
/** Entry counts of the zips as ../shared/README.md states them. */
const README_ENTRIES: Record<string, number> = { Go: 4291, PyPI: 7080, 'crates.io': 1206, AlmaLinux: 5680 };

interface Oracle {
  entries: number;
  /** Newest copy per id. */
  records: Map<string, OsvRecord>;
}

function readOracle(eco: string): Oracle {
  const files = unzipSync(readFileSync(sharedData('vulndb', 'osv', eco, 'all.zip')));
  const records = new Map<string, OsvRecord>();
  let entries = 0;
  for (const [name, data] of Object.entries(files)) {
    if (!name.endsWith('.json')) continue;
    entries++;
    const rec = JSON.parse(new TextDecoder().decode(data)) as OsvRecord;
    const prev = records.get(rec.id);
    if (!prev || rec.modified > prev.modified) records.set(rec.id, rec);
  }
  return { entries, records };
}

/** A union-find of its own, to check the store's groups against. */
function oracleGroups(records: Iterable<OsvRecord>): (id: string) => string {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    if (!parent.has(r)) parent.set(r, r);
    return r;
  };
  for (const rec of records) {
    find(rec.id);
    for (const a of rec.aliases ?? []) {
      const ra = find(rec.id);
      const rb = find(a);
      if (ra !== rb) parent.set(rb, ra);
    }
  }
  return find;
}

let dir: string;
let dbPath: string;
let build: BuildResult;
let store: AdvisoryStore;
const oracle = new Map<string, Oracle>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-vulndb-'));
  dbPath = join(dir, 'osv.sqlite');
  build = await buildDatabase({
    dbPath,
    inputs: ECOSYSTEMS.map((e) => sourceFromPath(sharedData('vulndb', 'osv', e, 'all.zip'))),
  });
  store = AdvisoryStore.open(dbPath);
  for (const e of ECOSYSTEMS) oracle.set(e, readOracle(e));
}, 120_000);

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('import of the four real OSV zips', () => {
  it('names each source after its ecosystem folder and reads every entry', () => {
    expect(build.sources.map((s) => s.name)).toEqual([...ECOSYSTEMS]);
    for (const s of build.sources) {
      expect(s.entries, s.name).toBe(README_ENTRIES[s.name]);
      expect(s.entries, s.name).toBe(oracle.get(s.name)?.entries);
      expect(s.skipped, s.name).toBe(0);
    }
  });

  it('stores one advisory per id and source, counting duplicate entries and withdrawn records', () => {
    for (const s of build.sources) {
      const o = oracle.get(s.name) as Oracle;
      expect(s.records, s.name).toBe(o.records.size);
      expect(s.duplicates, s.name).toBe(o.entries - o.records.size);
      const withdrawn = [...o.records.values()].filter((r) => r.withdrawn).length;
      expect(s.withdrawn, s.name).toBe(withdrawn);
    }
    // AlmaLinux ships 43 records twice (the same ALSA in two release folders); the others none.
    expect(build.sources.find((s) => s.name === 'AlmaLinux')?.duplicates).toBe(43);
    expect(build.advisories).toBe(build.sources.reduce((n, s) => n + s.records, 0));
  });

  it('reports the sources, ecosystems and counts in info()', () => {
    const info = store.info();
    expect(info.sources.map((s) => [s.name, s.kind, s.records])).toEqual(
      // Ordered by name.
      [...build.sources].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => [s.name, 'zip', s.records]),
    );
    expect(info.ecosystems.map((e) => e.ecosystem)).toEqual([
      'AlmaLinux:10',
      'AlmaLinux:8',
      'AlmaLinux:9',
      'Go',
      'PyPI',
      'crates.io',
    ]);
    expect(info.withdrawn).toBe(build.sources.reduce((n, s) => n + s.withdrawn, 0));
    expect(info.schemaVersion).toBe(4);
    expect(Date.parse(info.builtAt)).not.toBeNaN();
  });

  it('returns, for every package of every record, exactly the non-withdrawn advisories that name it', () => {
    const expected = new Map<string, Set<string>>();
    for (const o of oracle.values())
      for (const rec of o.records.values()) {
        if (rec.withdrawn) continue;
        for (const a of rec.affected ?? []) {
          if (!a.package) continue;
          const key = `${a.package.ecosystem}\0${normalizePackageName(a.package.ecosystem, a.package.name)}`;
          let set = expected.get(key);
          if (!set) expected.set(key, (set = new Set()));
          set.add(rec.id);
        }
      }
    const wrong: string[] = [];
    for (const [key, ids] of expected) {
      const [eco, name] = key.split('\0') as [string, string];
      const got = new Set(store.advisoriesFor(eco, name).map((e) => e.advisoryId));
      if (got.size !== ids.size || [...ids].some((id) => !got.has(id))) wrong.push(key);
    }
    console.log(`package lookups checked: ${expected.size}, wrong: ${wrong.length}`);
    expect(wrong).toEqual([]);
  });

  it('excludes withdrawn records from lookups but keeps them readable by id', () => {
    const withdrawn = [...oracle.values()].flatMap((o) => [...o.records.values()].filter((r) => r.withdrawn));
    expect(withdrawn.length).toBeGreaterThan(250);
    const leaked: string[] = [];
    for (const rec of withdrawn) {
      for (const a of rec.affected ?? []) {
        if (!a.package) continue;
        const ids = store.advisoriesFor(a.package.ecosystem, a.package.name).map((e) => e.advisoryId);
        if (ids.includes(rec.id)) leaked.push(rec.id);
      }
      expect(store.advisory(rec.id)?.record.withdrawn).toBe(rec.withdrawn);
    }
    expect(leaked).toEqual([]);
    // A known one: GO-2022-0617 (k8s.io/kubernetes) was withdrawn on 2024-08-21.
    expect(store.advisory('GO-2022-0617')?.record.withdrawn).toBe('2024-08-21T16:25:56Z');
    expect(store.advisoriesFor('Go', 'k8s.io/kubernetes').map((e) => e.advisoryId)).not.toContain(
      'GO-2022-0617',
    );
  });

  it('answers known package lookups with ranges as the record states them', () => {
    const django = store.advisoriesFor('PyPI', 'Django');
    expect(django.length).toBe(160);
    // PEP 503: any spelling of the name finds the same advisories.
    expect(store.advisoriesFor('PyPI', 'DJANGO').map((e) => e.advisoryId)).toEqual(
      django.map((e) => e.advisoryId),
    );
    expect(store.advisoriesFor('PyPI', 'Py_YAML').length).toBe(0);
    expect(store.advisoriesFor('PyPI', 'PyYAML').length).toBe(4);
    expect(store.advisoriesFor('Go', 'golang.org/x/net').length).toBe(30);
    // Go module paths are case-sensitive.
    expect(store.advisoriesFor('Go', 'Golang.org/x/net').length).toBe(0);
    expect(store.advisoriesFor('crates.io', 'openssl').length).toBe(10);
    expect(store.advisoriesFor('AlmaLinux:9', 'openssl').length).toBe(15);
    // The release is part of the ecosystem.
    expect(store.advisoriesFor('AlmaLinux', 'openssl').length).toBe(0);

    const go = store.advisoriesFor('Go', 'github.com/altcha-org/altcha-lib-go');
    expect(go.map((e) => e.advisoryId)).toEqual(['GO-2025-4239']);
    const rec = oracle.get('Go')?.records.get('GO-2025-4239');
    expect(go[0]?.ranges).toEqual(rec?.affected?.[0]?.ranges);
    expect(go[0]?.summary).toBe(rec?.summary);
    expect(go[0]?.recordDatabaseSpecific).toEqual(rec?.database_specific);

    const rust = store
      .advisoriesFor('crates.io', 'openssl')
      .find((e) => e.advisoryId === 'RUSTSEC-2016-0001');
    expect(rust?.severity).toEqual([
      { type: 'CVSS_V3', score: 'CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    ]);
    expect(rust?.databaseSpecific).toMatchObject({ informational: null });
    expect(rust?.purl).toBe('pkg:cargo/openssl');
  });

  it('gives back every stored record as it was imported', () => {
    let checked = 0;
    for (const o of oracle.values()) {
      let i = 0;
      for (const rec of o.records.values()) {
        if (i++ % 50 !== 0) continue; // a sample of each source
        const got = store.advisory(rec.id)?.record;
        const want = JSON.parse(JSON.stringify(rec)) as OsvRecord;
        // Empty lists and nulls are dropped or kept as given; compare the parts the store promises.
        expect(
          got?.affected?.map((a) => [a.package, a.ranges, a.versions]),
          rec.id,
        ).toEqual(want.affected?.map((a) => [a.package, a.ranges, a.versions]));
        expect(got?.details, rec.id).toBe(want.details);
        expect(got?.references, rec.id).toEqual(want.references);
        expect(got?.aliases, rec.id).toEqual(want.aliases);
        expect(got?.database_specific, rec.id).toEqual(want.database_specific);
        // The lean read details use gives the same parts of the same copy.
        const d = store.advisoryDetails(rec.id);
        expect(d?.details, rec.id).toBe(want.details);
        expect(d?.references, rec.id).toEqual(want.references);
        expect(d?.databaseSpecific, rec.id).toEqual(want.database_specific);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
    expect(store.advisoryDetails('GHSA-none-such-id')).toBeUndefined();
    // Many at once: the same answers, IDs it does not hold absent, an ID asked twice answered once.
    const ids = [...oracle.values()].flatMap((o) => [...o.records.keys()].filter((_, i) => i % 50 === 0));
    const many = store.advisoriesDetails([...ids, 'GHSA-none-such-id', ids[0] as string]);
    expect(many.size).toBe(new Set(ids).size);
    for (const id of ids) expect(many.get(id), id).toEqual(store.advisoryDetails(id));
  });
});

describe('alias groups', () => {
  it('agree with an independent union-find over every record', () => {
    const all = [...oracle.values()].flatMap((o) => [...o.records.values()]);
    const find = oracleGroups(all);
    const members = new Map<string, string[]>();
    for (const rec of all)
      for (const id of [rec.id, ...(rec.aliases ?? [])]) {
        const root = find(id);
        const m = members.get(root) ?? [];
        if (!m.includes(id)) m.push(id);
        members.set(root, m);
      }
    const wrong: string[] = [];
    for (const m of members.values()) {
      const want = [...m].sort();
      for (const id of m) {
        const got = store.aliasGroup(id);
        if (got.join(',') !== want.join(',')) wrong.push(id);
      }
    }
    console.log(`alias groups checked: ${members.size}, ids with a wrong group: ${wrong.length}`);
    expect(wrong).toEqual([]);
    expect(store.info().aliasGroups).toBe(members.size);
  });

  it('merges one weakness across sources: GO-2025-4239 and PYSEC-2026-1115 through CVE-2025-68113', () => {
    const group = store.aliasGroup('GO-2025-4239');
    expect(group).toEqual(['CVE-2025-68113', 'GHSA-6gvq-jcmp-8959', 'GO-2025-4239', 'PYSEC-2026-1115']);
    expect(store.aliasGroup('PYSEC-2026-1115')).toEqual(group);
    const [entry] = store.advisoriesFor('Go', 'github.com/altcha-org/altcha-lib-go');
    expect(entry?.groupId).toBe('CVE-2025-68113');
    expect(entry?.aliases).toEqual(['CVE-2025-68113', 'GHSA-6gvq-jcmp-8959', 'PYSEC-2026-1115']);
  });

  it('merges two records of one source that alias the same CVE (PYSEC-2024-5 and PYSEC-2024-6)', () => {
    expect(store.aliasGroup('PYSEC-2024-5')).toContain('PYSEC-2024-6');
    expect(store.aliasGroup('PYSEC-2024-5')).toContain('CVE-2024-22194');
  });

  it('keeps a RUSTSEC advisory that lists eight CVEs as one group of 17 IDs', () => {
    const g = store.aliasGroup('RUSTSEC-2020-0014');
    expect(g.length).toBe(17);
    expect(g.filter((id) => id.startsWith('CVE-')).length).toBe(8);
  });

  it('does not merge through `related`: an ALSA advisory stays its own group and links its CVEs', () => {
    // ALSA-2023:6939 lists CVE-2022-3064 (the CVE of GO-2022-0956) among its related IDs.
    expect(store.aliasGroup('ALSA-2023:6939')).toEqual(['ALSA-2023:6939']);
    expect(store.aliasGroup('GO-2022-0956')).not.toContain('ALSA-2023:6939');
    expect(store.relatedOf('ALSA-2023:6939')).toContain('CVE-2022-3064');
    expect(store.relatedOf('CVE-2022-3064')).toEqual(
      expect.arrayContaining(['ALSA-2023:6346', 'ALSA-2023:6938', 'ALSA-2023:6939']),
    );
  });

  it('does not depend on the order the sources are imported in', async () => {
    const other = join(dir, 'reversed.sqlite');
    await buildDatabase({
      dbPath: other,
      inputs: ['AlmaLinux', 'crates.io', 'PyPI', 'Go'].map((e) =>
        sourceFromPath(sharedData('vulndb', 'osv', e, 'all.zip')),
      ),
    });
    const rev = AdvisoryStore.open(other);
    try {
      for (const id of [
        'GO-2025-4239',
        'PYSEC-2024-6',
        'RUSTSEC-2020-0014',
        'CVE-2024-35255',
        'ALSA-2024:8127',
      ])
        expect(rev.aliasGroup(id), id).toEqual(store.aliasGroup(id));
      expect(rev.advisoriesFor('Go', 'github.com/altcha-org/altcha-lib-go')[0]?.groupId).toBe(
        'CVE-2025-68113',
      );
    } finally {
      rev.close();
    }
  }, 60_000);
});
