/**
 * Severity of a finding. In order:
 * 1. a CVSS vector of the records (the package's own `affected[].severity`
 *    before the record's), scored by ae-cvss-calculator: v3.1/v3.0 first (the
 *    version NVD, GHSA and Trivy's databases rate with), then v4.0, then v2;
 * 2. the record's own rating: `database_specific.severity` as GHSA writes it
 *    (CRITICAL, HIGH, MODERATE, LOW), OSV's `Ubuntu` severity type (Ubuntu
 *    priorities), or the Red Hat-style rating that AlmaLinux, Rocky Linux and
 *    Red Hat errata put at the start of their summary (`Important: …`);
 * 3. UNKNOWN.
 * Scores map to ratings by the CVSS specification's table (v3/v4: 0.1–3.9 LOW,
 * 4.0–6.9 MEDIUM, 7.0–8.9 HIGH, 9.0–10 CRITICAL; v2 as NVD rated it: below 4
 * LOW, below 7 MEDIUM, else HIGH). A score of 0.0 ("None") is LOW: the
 * advisory still names the package as affected.
 */
import type { CvssScore, Severity } from '@palisade/api';
import type * as Cvss from 'ae-cvss-calculator';
import { lazy } from '../../core/lazy.js';
import type { OsvSeverity } from '../db/osv.js';

const cvssLib = lazy<typeof Cvss>('ae-cvss-calculator');

export type CvssVersion = 'v2' | 'v3' | 'v40';

export interface ScoredVector {
  version: CvssVersion;
  vector: string;
  score: number;
}

/** Severity levels as Trivy's VendorSeverity numbers them. */
export const SEVERITY_LEVEL: Readonly<Record<Severity, number>> = {
  UNKNOWN: 0,
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  CRITICAL: 4,
};

const scoreCache = new Map<string, ScoredVector | null>();
const MAX_VECTOR_LENGTH = 512;

/**
 * Scores one OSV severity entry (CVSS_V2, CVSS_V3, CVSS_V4); undefined for other
 * types and for vectors the calculator cannot read. Results are cached by vector.
 */
export function scoreVector(entry: OsvSeverity): ScoredVector | undefined {
  const type = entry.type.toUpperCase();
  if (type !== 'CVSS_V2' && type !== 'CVSS_V3' && type !== 'CVSS_V4') return undefined;
  const vector = entry.score.trim();
  if (vector.length === 0 || vector.length > MAX_VECTOR_LENGTH) return undefined;
  const key = `${type} ${vector}`;
  const cached = scoreCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const scored = computeScore(type, vector);
  if (scoreCache.size > 100_000) scoreCache.clear();
  scoreCache.set(key, scored ?? null);
  return scored;
}

function computeScore(type: string, vector: string): ScoredVector | undefined {
  const lib = cvssLib();
  try {
    let calc: {
      calculateScores(): { base?: number | undefined; overall?: number | undefined };
      isBaseFullyDefined?(): boolean;
    };
    let version: CvssVersion;
    if (type === 'CVSS_V3') {
      if (vector.startsWith('CVSS:3.1/')) calc = new lib.Cvss3P1(vector);
      else if (vector.startsWith('CVSS:3.0/')) calc = new lib.Cvss3P0(vector);
      else return undefined;
      version = 'v3';
    } else if (type === 'CVSS_V4') {
      if (!vector.startsWith('CVSS:4.0/')) return undefined;
      calc = new lib.Cvss4P0(vector);
      version = 'v40';
    } else {
      calc = new lib.Cvss2(vector.replace(/^\(|\)$/g, ''));
      version = 'v2';
    }
    if (calc.isBaseFullyDefined && !calc.isBaseFullyDefined()) return undefined;
    const s = calc.calculateScores();
    const score = s.base ?? s.overall;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
    return { version, vector, score };
  } catch {
    // The calculator throws on components it does not know; such a vector is not scored.
    return undefined;
  }
}

/** A CVSS base score as a rating (see the module comment). */
export function severityFromScore(score: number, version: CvssVersion): Severity {
  if (version === 'v2') return score < 4 ? 'LOW' : score < 7 ? 'MEDIUM' : 'HIGH';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}

const WORDS: Readonly<Record<string, Severity>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  important: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  unimportant: 'LOW',
};

/** A rating word (GHSA, Ubuntu priority, Red Hat impact) as a severity; undefined when it is not one. */
export function severityFromWord(word: string): Severity | undefined {
  return WORDS[word.trim().toLowerCase()];
}

/** What severity choice reads of one matched record. */
export interface SeverityInput {
  /** Short source id used as the key of vendorSeverity and cvss (`ghsa`, `pypa`, `rustsec`, `alma`…). */
  sourceId: string;
  summary?: string | undefined;
  severity: readonly OsvSeverity[];
  affectedSeverity?: readonly OsvSeverity[] | undefined;
  recordDatabaseSpecific?: unknown;
}

export interface SeverityChoice {
  severity: Severity;
  /** The source id of the record the severity came from; absent for UNKNOWN. */
  severitySource?: string;
  /** How it was decided: a CVSS vector, the record's own rating, or nothing. */
  basis: 'cvss' | 'record' | 'none';
  vendorSeverity: Record<string, number>;
  cvss: Record<string, CvssScore>;
}

/** The record's own rating, when it states one. */
export function recordSeverity(r: SeverityInput): Severity | undefined {
  const ds = r.recordDatabaseSpecific;
  if (ds && typeof ds === 'object') {
    const s = (ds as { severity?: unknown }).severity;
    if (typeof s === 'string') {
      const w = severityFromWord(s);
      if (w) return w;
    }
  }
  for (const e of [...(r.affectedSeverity ?? []), ...r.severity]) {
    if (e.type === 'Ubuntu') {
      const w = severityFromWord(e.score);
      if (w) return w;
    }
  }
  // Red Hat-style errata (ALSA, RLSA, RHSA) lead their summary with the impact: "Important: openssl security update".
  const m = r.summary ? /^(Critical|Important|Moderate|Low):/.exec(r.summary) : null;
  if (m?.[1]) return severityFromWord(m[1]);
  return undefined;
}

const VERSION_ORDER: readonly CvssVersion[] = ['v3', 'v40', 'v2'];

/** A scored vector as the match index stores it: `[version, vector, score]`. */
export type ScoredTuple = [version: CvssVersion, vector: string, score: number];

/**
 * What the severity choice reads of one record, which depends on the record
 * alone: computed at import and kept in the match index (db/match-index.ts), so
 * a scan chooses severities without scoring a vector. Changing what this
 * computes needs a SCHEMA_VERSION bump (db/schema.ts), so old files are rebuilt.
 */
export interface SeverityFacts {
  sourceId: string;
  /** The record's scorable vectors (its package's `severity` first), the first of each CVSS version, in order. */
  scored: readonly ScoredTuple[];
  /** The record's own rating (recordSeverity), or null. */
  own: Severity | null;
}

/** The facts of one record (see SeverityFacts). */
export function severityFacts(r: SeverityInput): SeverityFacts {
  const scored: ScoredTuple[] = [];
  const seen = new Set<CvssVersion>();
  for (const e of [...(r.affectedSeverity ?? []), ...r.severity]) {
    const s = scoreVector(e);
    if (!s || seen.has(s.version)) continue;
    seen.add(s.version);
    scored.push([s.version, s.vector, s.score]);
  }
  return { sourceId: r.sourceId, scored, own: recordSeverity(r) ?? null };
}

/** Chooses the severity of a finding from its matched records, in the order given (the preferred record first). */
export function chooseSeverity(records: readonly SeverityInput[]): SeverityChoice {
  return chooseFromFacts(records.map(severityFacts));
}

/** chooseSeverity over the records' facts. */
export function chooseFromFacts(records: readonly SeverityFacts[]): SeverityChoice {
  // Indexed loops: this runs once per finding, mostly before the code is optimized (no iterator objects).
  const vendorSeverity: Record<string, number> = {};
  const cvss: Record<string, CvssScore> = {};
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as SeverityFacts;
    for (let j = 0; j < r.scored.length; j++) {
      const [version, vector, score] = r.scored[j] as ScoredTuple;
      const c = (cvss[r.sourceId] ??= {});
      if (version === 'v2' && c.v2Vector === undefined) {
        c.v2Vector = vector;
        c.v2Score = score;
      }
      if (version === 'v3' && c.v3Vector === undefined) {
        c.v3Vector = vector;
        c.v3Score = score;
      }
      if (version === 'v40' && c.v40Vector === undefined) {
        c.v40Vector = vector;
        c.v40Score = score;
      }
    }
    if (r.own !== null && vendorSeverity[r.sourceId] === undefined)
      vendorSeverity[r.sourceId] = SEVERITY_LEVEL[r.own];
  }
  for (let k = 0; k < VERSION_ORDER.length; k++) {
    const version = VERSION_ORDER[k] as CvssVersion;
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as SeverityFacts;
      for (let j = 0; j < r.scored.length; j++) {
        const s = r.scored[j] as ScoredTuple;
        if (s[0] !== version) continue;
        const severity = severityFromScore(s[2], version);
        vendorSeverity[r.sourceId] ??= SEVERITY_LEVEL[severity];
        return { severity, severitySource: r.sourceId, basis: 'cvss', vendorSeverity, cvss };
      }
    }
  }
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as SeverityFacts;
    if (r.own !== null)
      return { severity: r.own, severitySource: r.sourceId, basis: 'record', vendorSeverity, cvss };
  }
  return { severity: 'UNKNOWN', basis: 'none', vendorSeverity, cvss };
}
