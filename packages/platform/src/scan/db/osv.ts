/**
 * OSV records (https://ossf.github.io/osv-schema/) as the advisory store reads
 * them, and the one validation every imported record passes. A record that
 * breaks the schema's types is refused whole with a reason (the importer counts
 * it and goes on); fields the store does not interpret (ecosystem_specific,
 * database_specific, credits) are kept as they came. Sizes are bounded here, so
 * nothing later has to trust a record.
 */

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  /** SEMVER, ECOSYSTEM or GIT. */
  type: string;
  repo?: string;
  events: OsvEvent[];
  database_specific?: unknown;
}

export interface OsvSeverity {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu… */
  type: string;
  score: string;
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

export interface OsvAffected {
  package?: OsvPackage;
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: unknown;
  database_specific?: unknown;
}

export interface OsvReference {
  type: string;
  url: string;
}

export interface OsvRecord {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  upstream?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: OsvReference[];
  credits?: unknown[];
  database_specific?: unknown;
}

/** Bounds on one record; a record over any of them is refused. */
export const OSV_LIMITS = {
  /** Bytes of one record's JSON (the largest real record in the four test zips is 100 KB). */
  recordBytes: 8 * 1024 * 1024,
  idLength: 256,
  listItems: 10_000,
  affected: 100_000,
  eventsPerRange: 10_000,
  versions: 200_000,
} as const;

export type ParseResult = { ok: true; record: OsvRecord } | { ok: false; reason: string };

const ID = /^[\x21-\x7e]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class Invalid extends Error {}

function fail(reason: string): never {
  throw new Invalid(reason);
}

function optString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${where}${key} is not a string`);
  return v;
}

function stringList(
  o: Record<string, unknown>,
  key: string,
  where: string,
  max: number,
): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(`${where}${key} is not a list`);
  if (v.length > max) fail(`${where}${key} has ${v.length} items, over the limit of ${max}`);
  for (const item of v) if (typeof item !== 'string') fail(`${where}${key} holds a non-string item`);
  return v as string[];
}

function severities(v: unknown, where: string): OsvSeverity[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(`${where}severity is not a list`);
  if (v.length > OSV_LIMITS.listItems) fail(`${where}severity has too many items`);
  return v.map((s, i) => {
    if (!isObject(s) || typeof s['type'] !== 'string' || typeof s['score'] !== 'string')
      fail(`${where}severity[${i}] needs string type and score`);
    return { type: s['type'], score: s['score'] };
  });
}

function ranges(v: unknown, where: string): OsvRange[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(`${where}ranges is not a list`);
  if (v.length > OSV_LIMITS.listItems) fail(`${where}ranges has too many items`);
  return v.map((r, i) => {
    const at = `${where}ranges[${i}].`;
    if (!isObject(r)) fail(`${at.slice(0, -1)} is not an object`);
    if (typeof r['type'] !== 'string') fail(`${at}type is not a string`);
    const events = r['events'];
    if (!Array.isArray(events)) fail(`${at}events is not a list`);
    if (events.length > OSV_LIMITS.eventsPerRange) fail(`${at}events has too many items`);
    const out: OsvRange = {
      type: r['type'],
      events: events.map((e, j) => {
        if (!isObject(e)) fail(`${at}events[${j}] is not an object`);
        const ev: OsvEvent = {};
        for (const k of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
          const val = e[k];
          if (val === undefined) continue;
          if (typeof val !== 'string') fail(`${at}events[${j}].${k} is not a string`);
          ev[k] = val;
        }
        return ev;
      }),
    };
    const repo = optString(r, 'repo', at);
    if (repo !== undefined) out.repo = repo;
    if (r['database_specific'] !== undefined) out.database_specific = r['database_specific'];
    return out;
  });
}

function affectedList(v: unknown): OsvAffected[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail('affected is not a list');
  if (v.length > OSV_LIMITS.affected) fail(`affected has ${v.length} items, over the limit`);
  return v.map((a, i) => {
    const where = `affected[${i}].`;
    if (!isObject(a)) fail(`affected[${i}] is not an object`);
    const out: OsvAffected = {};
    const pkg = a['package'];
    if (pkg !== undefined && pkg !== null) {
      if (!isObject(pkg)) fail(`${where}package is not an object`);
      const ecosystem = pkg['ecosystem'];
      const name = pkg['name'];
      if (typeof ecosystem !== 'string' || typeof name !== 'string')
        fail(`${where}package needs string ecosystem and name`);
      out.package = { ecosystem, name };
      const purl = optString(pkg, 'purl', `${where}package.`);
      if (purl !== undefined) out.package.purl = purl;
    }
    const sev = severities(a['severity'], where);
    if (sev) out.severity = sev;
    const rs = ranges(a['ranges'], where);
    if (rs) out.ranges = rs;
    const versions = stringList(a, 'versions', where, OSV_LIMITS.versions);
    if (versions) out.versions = versions;
    if (a['ecosystem_specific'] !== undefined) out.ecosystem_specific = a['ecosystem_specific'];
    if (a['database_specific'] !== undefined) out.database_specific = a['database_specific'];
    return out;
  });
}

function references(v: unknown): OsvReference[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail('references is not a list');
  if (v.length > OSV_LIMITS.listItems) fail('references has too many items');
  return v.map((r, i) => {
    if (!isObject(r) || typeof r['url'] !== 'string') fail(`references[${i}] needs a string url`);
    return { type: typeof r['type'] === 'string' ? r['type'] : 'WEB', url: r['url'] };
  });
}

/** Checks a parsed JSON value against the parts of the OSV schema the store relies on. */
export function validateOsv(doc: unknown): ParseResult {
  try {
    if (!isObject(doc)) fail('not a JSON object');
    const id = doc['id'];
    if (typeof id !== 'string' || id.length === 0) fail('id is missing');
    if (id.length > OSV_LIMITS.idLength || !ID.test(id)) fail('id is not a printable ASCII word');
    const modified = doc['modified'];
    if (typeof modified !== 'string') fail('modified is missing');
    const rec: OsvRecord = { id, modified };
    for (const k of ['schema_version', 'published', 'withdrawn', 'summary', 'details'] as const) {
      const v = optString(doc, k, '');
      if (v !== undefined) rec[k] = v;
    }
    for (const k of ['aliases', 'upstream', 'related'] as const) {
      const v = stringList(doc, k, '', OSV_LIMITS.listItems);
      if (v) {
        for (const other of v)
          if (other.length > OSV_LIMITS.idLength || !ID.test(other)) fail(`${k} holds an invalid id`);
        rec[k] = v;
      }
    }
    const sev = severities(doc['severity'], '');
    if (sev) rec.severity = sev;
    const aff = affectedList(doc['affected']);
    if (aff) rec.affected = aff;
    const refs = references(doc['references']);
    if (refs) rec.references = refs;
    if (Array.isArray(doc['credits'])) rec.credits = doc['credits'] as unknown[];
    if (doc['database_specific'] !== undefined) rec.database_specific = doc['database_specific'];
    return { ok: true, record: rec };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and validates one record's bytes (a zip entry or a file). */
export function parseOsv(bytes: Uint8Array): ParseResult {
  if (bytes.length > OSV_LIMITS.recordBytes)
    return {
      ok: false,
      reason: `record is ${bytes.length} bytes, over the limit of ${OSV_LIMITS.recordBytes}`,
    };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not UTF-8 text' };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return validateOsv(doc);
}
