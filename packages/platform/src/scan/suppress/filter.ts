/**
 * Applies filters and suppression rules to a ScanReport, in Trivy's order:
 * VEX documents first, then per result the severity and status filters, the
 * EPSS and KEV filters (Palisade's additions), then ignore-file rules.
 * Findings removed by VEX or an ignore rule are kept in `result.suppressed`
 * with the rule that removed them (Trivy's ModifiedFindings, shown with
 * `--show-suppressed`); findings removed by `--severity`, `--ignore-unfixed`,
 * `--epss-min` and `--kev` are dropped silently as Trivy drops them, unless
 * `recordFiltered` is set. Pure: the input report is not modified.
 */
import type {
  DetectedVulnerability,
  FixStatus,
  Package,
  ScanReport,
  ScanResult,
  SecretFinding,
  Severity,
  SuppressedFinding,
} from '@palisade/api';
import { formatLocation } from '../../core/location.js';
import type { IgnoreRule, IgnoreRules } from './ignorefile.js';
import type { VexDocument, VexRef, VexStatement } from './openvex.js';
import { describeStatement, effectiveStatement } from './openvex.js';
import type { ParsedPurl } from './purl.js';
import { parsePurl, purlMatches } from './purl.js';

/** Every status but `fixed`, as Trivy's --ignore-unfixed. */
export const UNFIXED_STATUSES: readonly FixStatus[] = [
  'unknown',
  'not_affected',
  'affected',
  'under_investigation',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
];

export interface SuppressOptions {
  /** Keep only findings with these severities (Trivy's --severity). Absent: all. */
  severities?: readonly Severity[];
  /** Drop findings whose status is not `fixed` (--ignore-unfixed). */
  ignoreUnfixed?: boolean;
  /** Drop findings with these statuses (Trivy's --ignore-status). */
  ignoreStatuses?: readonly FixStatus[];
  /** Keep only findings whose EPSS score is at least this (0..1); findings without a score are dropped. */
  epssMin?: number;
  /** Keep only findings listed in CISA KEV. */
  kevOnly?: boolean;
  /** Parsed ignore files, applied in order; the first matching rule wins. */
  ignore?: readonly IgnoreRules[];
  /** Parsed OpenVEX documents; the first document whose effective statement suppresses wins. */
  vex?: readonly VexDocument[];
  /** Purl of the scanned artifact (e.g. `pkg:oci/…@sha256:…`), the root product for VEX statements. */
  artifactPurl?: string;
  /** Also record findings dropped by severity/status/EPSS/KEV filters in `suppressed`. */
  recordFiltered?: boolean;
}

export interface SuppressStats {
  /** Findings removed by each mechanism. */
  vex: number;
  ignored: number;
  severity: number;
  status: number;
  epss: number;
  kev: number;
  /** Findings that had no EPSS score when `epssMin` was set. */
  epssUnscored: number;
}

export interface SuppressOutcome {
  report: ScanReport;
  stats: SuppressStats;
}

/** Every ID a finding is known by: its own, then its aliases. */
export function findingIds(v: DetectedVulnerability): string[] {
  return v.aliases && v.aliases.length > 0 ? [v.vulnerabilityId, ...v.aliases] : [v.vulnerabilityId];
}

function ruleMatches(
  rule: IgnoreRule,
  ids: readonly string[],
  paths: readonly string[],
  purl: ParsedPurl | undefined,
): boolean {
  if (rule.id !== undefined && !ids.includes(rule.id)) return false;
  if (rule.paths.length > 0 && !paths.some((p) => rule.paths.some((g) => g.match(p)))) return false;
  // Trivy: a rule with purls matches a finding without a purl (matchPURL(nil) is true).
  if (rule.purls.length > 0 && purl && !rule.purls.some((c) => purlMatches(c, purl, true))) return false;
  return true;
}

function findRule(
  ignore: readonly IgnoreRules[],
  kind: 'vulnerabilities' | 'secrets',
  ids: readonly string[],
  paths: readonly string[],
  purl: ParsedPurl | undefined,
): IgnoreRule | undefined {
  for (const file of ignore)
    for (const rule of file.rules[kind]) if (ruleMatches(rule, ids, paths, purl)) return rule;
  return undefined;
}

function ignoredStatement(rule: IgnoreRule): { statement: string; source: string } {
  return { statement: rule.statement ?? '', source: formatLocation(rule.location) };
}

/** Dependency graph of one result: parents of each package, by key. */
interface Graph {
  byKey: Map<string, Package>;
  parents: Map<string, string[]>;
}

function pkgKey(p: Package): string {
  return p.id ?? `${p.name}@${p.version}`;
}

function buildGraph(packages: readonly Package[] | undefined): Graph {
  const byKey = new Map<string, Package>();
  const parents = new Map<string, string[]>();
  for (const p of packages ?? []) byKey.set(pkgKey(p), p);
  for (const p of packages ?? [])
    for (const child of p.dependsOn ?? []) {
      const list = parents.get(child);
      if (list) list.push(pkgKey(p));
      else parents.set(child, [pkgKey(p)]);
    }
  return { byKey, parents };
}

function refOf(purl: string | undefined): VexRef | undefined {
  if (!purl) return undefined;
  const p = parsePurl(purl);
  return p ? { purl: p, raw: purl } : undefined;
}

/**
 * Trivy's reachRoot: true when some path from the vulnerable package to the
 * artifact root passes no product that a statement marks not affected for it.
 */
function vexSuppressing(
  docs: readonly VexDocument[],
  vuln: DetectedVulnerability,
  graph: Graph,
  root: VexRef | undefined,
): { doc: VexDocument; st: VexStatement } | undefined {
  const leafKey = vuln.pkgId;
  const leafPkg = leafKey !== undefined ? graph.byKey.get(leafKey) : undefined;
  const leaf = refOf(vuln.purl ?? leafPkg?.purl);
  if (!leaf) return undefined;
  const ids = findingIds(vuln);
  let found: { doc: VexDocument; st: VexStatement } | undefined;
  const suppresses = (product: VexRef, sub: VexRef | undefined): boolean => {
    for (const doc of docs) {
      const st = effectiveStatement(doc, ids, product, sub);
      if (st && (st.status === 'not_affected' || st.status === 'fixed')) {
        found = { doc, st };
        return true;
      }
    }
    return false;
  };
  if (suppresses(leaf, undefined)) return found;
  const reachesRoot = (key: string | undefined, ref: VexRef | undefined, visited: Set<string>): boolean => {
    if (ref && suppresses(ref, leaf)) return false;
    const ps = key !== undefined ? (graph.parents.get(key) ?? []).filter((p) => !visited.has(p)) : [];
    if (ps.length === 0) {
      // A package without parents hangs off the artifact (Trivy: application → root).
      return !(root && suppresses(root, leaf));
    }
    const next = new Set(visited);
    if (key !== undefined) next.add(key);
    for (const p of ps) if (reachesRoot(p, refOf(graph.byKey.get(p)?.purl), next)) return true;
    return false;
  };
  return reachesRoot(leafKey, leaf, new Set()) ? undefined : found;
}

function suppressed(
  finding: DetectedVulnerability | SecretFinding,
  type: SuppressedFinding['type'],
  status: SuppressedFinding['status'],
  statement: string,
  source: string,
): SuppressedFinding {
  return { type, status, statement, source, finding };
}

function filterResult(
  r: ScanResult,
  opts: SuppressOptions,
  stats: SuppressStats,
  root: VexRef | undefined,
): ScanResult {
  const out: ScanResult = { ...r };
  const sup: SuppressedFinding[] = [...(r.suppressed ?? [])];
  const ignore = opts.ignore ?? [];
  const statuses = new Set<FixStatus>([
    ...(opts.ignoreStatuses ?? []),
    ...(opts.ignoreUnfixed ? UNFIXED_STATUSES : []),
  ]);
  const sev = opts.severities ? new Set<Severity>(opts.severities) : undefined;
  if (r.vulnerabilities) {
    const graph = opts.vex && opts.vex.length > 0 ? buildGraph(r.packages) : undefined;
    const kept: DetectedVulnerability[] = [];
    for (const v of r.vulnerabilities) {
      if (graph && opts.vex) {
        const hit = vexSuppressing(opts.vex, v, graph, root);
        if (hit) {
          stats.vex++;
          sup.push(
            suppressed(
              v,
              'vulnerability',
              hit.st.status === 'fixed' ? 'fixed' : 'not_affected',
              describeStatement(hit.st),
              `${hit.doc.file}#/statements/${hit.st.index}`,
            ),
          );
          continue;
        }
      }
      const drop = (what: keyof SuppressStats, statement: string, source: string): void => {
        stats[what]++;
        if (opts.recordFiltered) sup.push(suppressed(v, 'vulnerability', 'ignored', statement, source));
      };
      if (sev && !sev.has(v.severity)) {
        drop('severity', `severity ${v.severity}`, '--severity');
        continue;
      }
      if (statuses.has(v.status)) {
        drop('status', `status ${v.status}`, opts.ignoreUnfixed ? '--ignore-unfixed' : '--ignore-status');
        continue;
      }
      if (opts.epssMin !== undefined) {
        if (!v.epss) stats.epssUnscored++;
        const score = v.epss?.score ?? 0;
        if (!v.epss || score < opts.epssMin) {
          drop('epss', v.epss ? `EPSS ${score} < ${opts.epssMin}` : 'no EPSS score', '--epss-min');
          continue;
        }
      }
      if (opts.kevOnly && !v.kev) {
        drop('kev', 'not in CISA KEV', '--kev');
        continue;
      }
      if (ignore.length > 0) {
        const paths = v.pkgPath ? [r.target, v.pkgPath] : [r.target];
        const rule = findRule(
          ignore,
          'vulnerabilities',
          findingIds(v),
          paths,
          v.purl ? parsePurl(v.purl) : undefined,
        );
        if (rule) {
          stats.ignored++;
          const s = ignoredStatement(rule);
          sup.push(suppressed(v, 'vulnerability', 'ignored', s.statement, s.source));
          continue;
        }
      }
      kept.push(v);
    }
    out.vulnerabilities = kept;
  }
  if (r.secrets) {
    const kept: SecretFinding[] = [];
    for (const s of r.secrets) {
      if (sev && !sev.has(s.severity)) {
        stats.severity++;
        if (opts.recordFiltered)
          sup.push(suppressed(s, 'secret', 'ignored', `severity ${s.severity}`, '--severity'));
        continue;
      }
      const rule =
        ignore.length > 0 ? findRule(ignore, 'secrets', [s.ruleId], [r.target], undefined) : undefined;
      if (rule) {
        stats.ignored++;
        const st = ignoredStatement(rule);
        sup.push(suppressed(s, 'secret', 'ignored', st.statement, st.source));
        continue;
      }
      kept.push(s);
    }
    out.secrets = kept;
  }
  if (sup.length > 0) out.suppressed = sup;
  return out;
}

/** Applies the options to every result; see the module comment. */
export function suppressFindings(report: ScanReport, opts: SuppressOptions): SuppressOutcome {
  const stats: SuppressStats = {
    vex: 0,
    ignored: 0,
    severity: 0,
    status: 0,
    epss: 0,
    kev: 0,
    epssUnscored: 0,
  };
  const root = refOf(opts.artifactPurl);
  const results = report.results.map((r) => filterResult(r, opts, stats, root));
  return { report: { ...report, results }, stats };
}

/**
 * Trivy's purl for a container image (pkg/purl parseOCI): `pkg:oci/<name>@<digest>`
 * with `repository_url` and `arch` qualifiers, from the first repo digest.
 */
export function ociPurl(report: ScanReport): string | undefined {
  const a = report.artifact;
  if (a.type !== 'container_image') return undefined;
  const rd = a.repoDigests?.[0];
  if (!rd) return undefined;
  const at = rd.lastIndexOf('@');
  if (at <= 0) return undefined;
  const repo = rd.slice(0, at);
  const digest = rd.slice(at + 1);
  const name = (repo.split('/').pop() ?? repo).toLowerCase();
  const q = new URLSearchParams();
  if (a.architecture) q.set('arch', a.architecture);
  q.set('repository_url', repo);
  return `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}?${q.toString()}`;
}
