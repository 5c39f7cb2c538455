/**
 * Test support: Trivy's integration-test vulnerability DB (bucket/pairs YAML in
 * ../shared/data/scan/trivy-integration/integration/testdata/fixtures/db) read
 * as OSV records, so the detector can be run on Trivy's own integration cases
 * against the same advisories Trivy used.
 *
 * - A language bucket (`npm::GitHub Security Advisory Npm`) becomes the OSV
 *   ecosystem of its prefix; each VulnerableVersions entry one ECOSYSTEM range
 *   (`>= a` introduced, `< b` fixed, `<= b` fixed at the first patched version
 *   above b as GHSA's OSV export writes it, else last_affected; Maven intervals
 *   `[a,b)` likewise); an advisory with only PatchedVersions (RustSec style)
 *   is affected outside the patched intervals.
 * - An OS bucket (`debian 10`, `alpine 3.10`, `ubuntu 18.04`, `alma 8`,
 *   `rocky 8`) becomes the OSV distribution ecosystem; FixedVersion a fixed
 *   event, none an open range (unfixed).
 * - Severity: what Trivy would show (the bucket's data-source vendor
 *   severity, GHSA's for GHSA IDs, NVD's, the record's own, the OS advisory's
 *   own Severity) is carried as `database_specific.severity`, and Trivy's CVSS
 *   and vendor severities as `database_specific.trivy_cvss`/`vendor_severity`,
 *   so a comparison with Trivy's golden output is about matching, not about
 *   severity data. No `severity[]` vectors are written.
 *
 * Buckets this cannot express (Red Hat's CPE-indexed data, Amazon, Oracle,
 * SUSE, Photon, Mariner, `alpine edge`, CocoaPods, Kubernetes) are counted in
 * `skippedBuckets`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { OsvEvent, OsvRange, OsvRecord } from '../scan/db/osv.js';
import { schemeForEcosystem } from '../scan/version/index.js';

interface Pair {
  key?: string;
  value?: unknown;
  bucket?: string;
  pairs?: Pair[];
}

interface TrivyVuln {
  Title?: string;
  Description?: string;
  Severity?: string;
  CVSS?: Record<string, unknown>;
  VendorSeverity?: Record<string, number>;
  CweIDs?: string[];
  References?: string[];
  PublishedDate?: string;
  LastModifiedDate?: string;
}

interface LangAdvisory {
  PatchedVersions?: string[];
  VulnerableVersions?: string[];
}

interface OsAdvisory {
  FixedVersion?: string;
  Severity?: number;
}

const LANG_PREFIX: Readonly<Record<string, string>> = {
  npm: 'npm',
  pip: 'PyPI',
  go: 'Go',
  maven: 'Maven',
  cargo: 'crates.io',
  rubygems: 'RubyGems',
  composer: 'Packagist',
  nuget: 'NuGet',
  pub: 'Pub',
  erlang: 'Hex',
  conan: 'ConanCenter',
  swift: 'SwiftURL',
};

const LEVELS = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

/** OSV ecosystem of a Trivy OS bucket; undefined when OSV has none that an OSInfo maps to. */
export function osBucketEcosystem(bucket: string): string | undefined {
  const m = /^(debian|ubuntu|alpine|alma|rocky) (\d+(?:\.\d+)?)$/.exec(bucket);
  if (!m) return undefined;
  const [, family, release] = m as unknown as [string, string, string];
  switch (family) {
    case 'debian':
      return `Debian:${release}`;
    case 'ubuntu': {
      const [yy, mm] = release.split('.');
      return mm === '04' && Number(yy) % 2 === 0 ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
    }
    case 'alpine':
      return `Alpine:v${release}`;
    case 'alma':
      return `AlmaLinux:${release}`;
    default:
      return `Rocky Linux:${release}`;
  }
}

/** OSV ecosystem of a Trivy language bucket (`pip::GitHub Security Advisory Pip` → PyPI). */
export function langBucketEcosystem(bucket: string): string | undefined {
  const i = bucket.indexOf('::');
  return i < 0 ? undefined : LANG_PREFIX[bucket.slice(0, i)];
}

/** One constraint term: operator and version. */
function term(t: string): { op: string; v: string } | undefined {
  const m = /^\s*(>=|<=|>|<|==|=)?\s*(\S+)\s*$/.exec(t);
  return m ? { op: m[1] ?? '=', v: m[2] as string } : undefined;
}

function cmp(ecosystem: string, a: string, b: string): number | undefined {
  const s = schemeForEcosystem(ecosystem);
  if (!s) return undefined;
  const pa = s.parse(a);
  const pb = s.parse(b);
  return pa === undefined || pb === undefined ? undefined : s.compare(pa, pb);
}

/** One VulnerableVersions entry (`>= a, < b`, `[a,b)`) as an OSV range. */
export function vulnerableRange(ecosystem: string, constraint: string, patched: readonly string[]): OsvRange {
  const events: OsvEvent[] = [];
  let lower: string | undefined;
  let upper: { v: string; inclusive: boolean } | undefined;
  const interval = /^\s*([[(])\s*([^,]*?)\s*,\s*([^\])]*?)\s*([\])])\s*$/.exec(constraint);
  if (interval) {
    if (interval[2]) lower = interval[2];
    if (interval[3]) upper = { v: interval[3], inclusive: interval[4] === ']' };
  } else {
    for (const part of constraint.split(',')) {
      const t = term(part);
      if (!t) continue;
      if (t.op === '>=' || t.op === '>') lower = t.v;
      else if (t.op === '<') upper = { v: t.v, inclusive: false };
      else if (t.op === '<=') upper = { v: t.v, inclusive: true };
      else {
        lower = t.v;
        upper = { v: t.v, inclusive: true };
      }
    }
  }
  events.push({ introduced: lower === undefined || lower === '0' ? '0' : lower });
  if (upper) {
    if (!upper.inclusive) events.push({ fixed: upper.v });
    else {
      // GHSA's OSV export writes the first patched version above the last affected one as `fixed`.
      const above = patched
        .filter((p) => (cmp(ecosystem, p, upper.v) ?? 0) > 0)
        .sort((a, b) => cmp(ecosystem, a, b) ?? 0)[0];
      events.push(above !== undefined ? { fixed: above } : { last_affected: upper.v });
    }
  }
  return { type: 'ECOSYSTEM', events };
}

/** PatchedVersions alone (`>= 3.1.0`, `>= 2.1.3, < 3.0.0`): affected everywhere outside the patched intervals. */
export function unpatchedRange(ecosystem: string, patched: readonly string[]): OsvRange {
  const intervals = patched
    .map((p) => {
      let lo: string | undefined;
      let hi: string | undefined;
      for (const part of p.split(',')) {
        const t = term(part);
        if (!t) continue;
        if (t.op === '>=' || t.op === '>' || t.op === '=' || t.op === '==') lo = t.v;
        else if (t.op === '<' || t.op === '<=') hi = t.v;
      }
      return { lo, hi };
    })
    .filter((x): x is { lo: string; hi: string | undefined } => x.lo !== undefined)
    .sort((a, b) => cmp(ecosystem, a.lo, b.lo) ?? 0);
  const events: OsvEvent[] = [{ introduced: '0' }];
  for (const i of intervals) {
    events.push({ fixed: i.lo });
    if (i.hi !== undefined) events.push({ introduced: i.hi });
  }
  return { type: 'ECOSYSTEM', events };
}

export interface FixtureDb {
  /** OSV records per source (one source per bucket, named after it). */
  sources: Map<string, OsvRecord[]>;
  skippedBuckets: string[];
}

function pairsOf(p: Pair): Pair[] {
  return Array.isArray(p.pairs) ? p.pairs : [];
}

/** Trivy's severity choice (pkg/vulnerability: data source vendor, GHSA for GHSA IDs, NVD, own). */
function trivySeverity(
  id: string,
  v: TrivyVuln | undefined,
  sourceId: string | undefined,
): string | undefined {
  if (!v) return undefined;
  const vs = v.VendorSeverity ?? {};
  const level = (n: number | undefined): string | undefined =>
    n === undefined ? undefined : LEVELS[Math.round(n)];
  if (sourceId && vs[sourceId] !== undefined) return level(vs[sourceId]);
  if (id.startsWith('GHSA-') && vs['ghsa'] !== undefined) return level(vs['ghsa']);
  if (vs['nvd'] !== undefined) return level(vs['nvd']);
  return v.Severity;
}

/** Reads every YAML file of the fixture DB directory into OSV records. */
export function readTrivyFixtureDb(dir: string): FixtureDb {
  const top: Pair[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as unknown;
    if (Array.isArray(doc)) top.push(...(doc as Pair[]));
  }
  const vulns = new Map<string, TrivyVuln>();
  const dataSources = new Map<string, string>();
  for (const b of top) {
    if (b.bucket === 'vulnerability') for (const p of pairsOf(b)) if (p.key) vulns.set(p.key, p.value ?? {});
    if (b.bucket === 'data-source')
      for (const p of pairsOf(b)) {
        const id = (p.value as { ID?: unknown } | undefined)?.ID;
        if (p.key && typeof id === 'string') dataSources.set(p.key, id);
      }
  }
  const sources = new Map<string, OsvRecord[]>();
  const skippedBuckets: string[] = [];
  for (const b of top) {
    const name = b.bucket;
    if (!name || name === 'vulnerability' || name === 'data-source') continue;
    const langEco = langBucketEcosystem(name);
    const osEco = langEco ? undefined : osBucketEcosystem(name);
    const ecosystem = langEco ?? osEco;
    if (!ecosystem) {
      skippedBuckets.push(name);
      continue;
    }
    const sourceId = dataSources.get(name) ?? (osEco ? name.split(' ')[0] : undefined);
    const records = sources.get(name) ?? [];
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const pkg of pairsOf(b)) {
      if (!pkg.bucket) continue;
      for (const adv of pairsOf(pkg)) {
        if (!adv.key) continue;
        const id = adv.key;
        const v = vulns.get(id);
        let range: OsvRange[];
        let ownSeverity: string | undefined;
        if (langEco) {
          const a = (adv.value ?? {}) as LangAdvisory;
          const patched = a.PatchedVersions ?? [];
          range =
            a.VulnerableVersions && a.VulnerableVersions.length > 0
              ? a.VulnerableVersions.map((c) => vulnerableRange(ecosystem, c, patched))
              : [unpatchedRange(ecosystem, patched)];
        } else {
          const a = (adv.value ?? {}) as OsAdvisory;
          const events: OsvEvent[] = [{ introduced: '0' }];
          if (a.FixedVersion) events.push({ fixed: a.FixedVersion });
          range = [{ type: 'ECOSYSTEM', events }];
          if (typeof a.Severity === 'number' && a.Severity > 0) ownSeverity = LEVELS[Math.round(a.Severity)];
        }
        const severity = ownSeverity ?? trivySeverity(id, v, sourceId);
        const same = byId.get(id);
        if (same) {
          // One ID for two packages of one bucket: one record with two affected entries.
          same.affected?.push({ package: { ecosystem, name: pkg.bucket }, ranges: range });
          continue;
        }
        const rec: OsvRecord = {
          id,
          modified: v?.LastModifiedDate ?? '1970-01-01T00:00:00Z',
          affected: [{ package: { ecosystem, name: pkg.bucket }, ranges: range }],
        };
        if (v?.PublishedDate) rec.published = v.PublishedDate;
        if (v?.Title) rec.summary = v.Title;
        if (v?.Description) rec.details = v.Description;
        if (v?.References) rec.references = v.References.map((url) => ({ type: 'WEB', url }));
        const ds: Record<string, unknown> = {};
        if (severity && severity !== 'UNKNOWN') ds['severity'] = severity;
        if (v?.CweIDs) ds['cwe_ids'] = v.CweIDs;
        if (v?.CVSS) ds['trivy_cvss'] = v.CVSS;
        if (v?.VendorSeverity) ds['vendor_severity'] = v.VendorSeverity;
        if (Object.keys(ds).length > 0) rec.database_specific = ds;
        records.push(rec);
        byId.set(id, rec);
      }
    }
    sources.set(name, records);
  }
  return { sources, skippedBuckets };
}

/**
 * Writes records as one directory per source (`<dir>/<n>/<id>.json`) for
 * buildDatabase; returns the directories with their source names.
 */
export function writeOsvSources(
  root: string,
  sources: ReadonlyMap<string, readonly OsvRecord[]>,
): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  let n = 0;
  for (const [name, records] of sources) {
    const dir = join(root, `source-${n++}`);
    mkdirSync(dir, { recursive: true });
    records.forEach((r, i) => writeFileSync(join(dir, `${i}.json`), JSON.stringify(r)));
    out.push({ name, path: dir });
  }
  return out;
}
