/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF readers, as Trivy writes
 * it (pkg/report/sarif.go): one rule per vulnerability ID or secret rule with
 * help text and markdown, `security-severity` from the CVSS v3 score of the
 * severity source (else a fixed score per severity), one result per finding
 * located at the lockfile lines when the package's locations are known, else at
 * line 1 of the target (for images, the image's repository name).
 */
import type { DetectedVulnerability, ScanReport, ScanResult, SecretFinding } from '@palisade/api';
import { TOOL_VERSION } from './sbom-common.js';

const BUILTIN_RULES_URL = 'https://github.com/aquasecurity/trivy/blob/main/pkg/fanal/secret/builtin-rules.go';

export interface SarifOptions {
  toolVersion?: string;
  /** The tool as SARIF readers show it; Palisade by default (GitHub code scanning groups alerts by tool name). */
  driver?: { name: string; fullName: string; informationUri?: string };
  /** Absolute path of the scanned directory; written as the ROOTPATH base URI (Trivy does so for fs/repo scans). */
  rootPath?: string;
}

type Json = Record<string, unknown>;

interface Loc {
  startLine: number;
  endLine: number;
}

function level(severity: string): string {
  switch (severity) {
    case 'CRITICAL':
    case 'HIGH':
      return 'error';
    case 'MEDIUM':
      return 'warning';
    case 'LOW':
    case 'UNKNOWN':
      return 'note';
    default:
      return 'none';
  }
}

function severityToScore(severity: string): string {
  return { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0' }[severity] ?? '0.0';
}

const PATH_KEEP = /[A-Za-z0-9\-_.~$&+,/:;=@?#%]/;

/**
 * Go's url.Parse(s).String() for the strings Trivy passes (paths and https URLs):
 * characters outside the path set are percent-encoded; an invalid `%` escape
 * makes Go fail to parse, and Trivy then writes no URI.
 */
export function goUri(s: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return '';
  let out = '';
  for (const ch of s) {
    if (PATH_KEEP.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const REPO_CHARS = /^[a-z0-9_\-./]+$/;
const TAG_CHARS = /^[A-Za-z0-9_\-.]{1,128}$/;

/** go-containerregistry's name.ParseReference(s).Context().RepositoryStr(), or undefined when s is not a reference. */
export function imageRepository(s: string): string | undefined {
  let rest = s;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!/^sha256:[0-9a-f]{64}$/.test(rest.slice(at + 1))) return undefined;
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      if (!TAG_CHARS.test(rest.slice(colon + 1))) return undefined;
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf('/');
  let repo = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') repo = rest.slice(slash + 1);
  }
  if (repo === '' || !REPO_CHARS.test(repo)) return undefined;
  const onDockerHub = slash < 0 || repo === rest;
  return onDockerHub && !repo.includes('/') ? `library/${repo}` : repo;
}

/** Trivy's ToPathUri: for OS results, the target without ` (distro version)`, as an image repository when it is one. */
export function toPathUri(input: string, cls: ScanResult['class']): string {
  if (cls !== 'os-pkgs') return input;
  const m = /^(.+?)(?:\s*\((?:.*?)\).*?)?$/s.exec(input);
  let s = m?.[1] ?? input;
  s = imageRepository(s) ?? s;
  return s.replace(/\\/g, '/');
}

function properties(title: string, severity: string, score: string, cvss: Json): Json {
  const p: Json = { tags: [title, 'security', severity], precision: 'very-high', 'security-severity': score };
  for (const [k, v] of Object.entries(cvss)) {
    if (v === '' || v === 0 || v === undefined) continue;
    p[k] = v;
  }
  // encoding/json writes map keys sorted
  return Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function cvssData(v: DetectedVulnerability): { data: Json; score: string } {
  let score = severityToScore(v.severity);
  const c = v.severitySource ? v.cvss?.[v.severitySource] : undefined;
  if (!c) return { data: {}, score };
  if (c.v3Score) score = c.v3Score.toFixed(1);
  return {
    data: {
      cvssv2_vector: c.v2Vector,
      cvssv2_score: c.v2Score,
      cvssv3_vector: c.v3Vector,
      cvssv3_baseScore: c.v3Score,
      cvssv40_vector: c.v40Vector,
      cvssv40_baseScore: c.v40Score,
    },
    score,
  };
}

interface Finding {
  ruleId: string;
  ruleName: string;
  title: string;
  severity: string;
  score: string;
  cvss: Json;
  url: string;
  uri: string;
  locationMessage: string;
  locations: Loc[];
  shortDescription: string;
  fullDescription: string;
  helpText: string;
  helpMarkdown: string;
  message: string;
}

function ruleName(cls: ScanResult['class']): string {
  switch (cls) {
    case 'os-pkgs':
      return 'OsPackageVulnerability';
    case 'lang-pkgs':
      return 'LanguageSpecificPackageVulnerability';
    case 'secret':
      return 'Secret';
    default:
      return 'UnknownIssue';
  }
}

function vulnFinding(r: ScanResult, v: DetectedVulnerability, target: string, locs: Loc[]): Finding {
  const path = v.pkgPath ? toPathUri(v.pkgPath, r.class) : target;
  const { data, score } = cvssData(v);
  const fixed = v.fixedVersion ?? '';
  const url = v.primaryUrl ?? '';
  const desc = v.description ?? '';
  return {
    ruleId: v.vulnerabilityId,
    ruleName: ruleName(r.class),
    title: 'vulnerability',
    severity: v.severity,
    score,
    cvss: data,
    url: goUri(url),
    uri: goUri(path),
    locationMessage: `${path}: ${v.pkgName}@${v.installedVersion}`,
    locations: locs,
    shortDescription: v.title ?? '',
    fullDescription: desc || (v.title ?? ''),
    helpText: `Vulnerability ${v.vulnerabilityId}\nSeverity: ${v.severity}\nPackage: ${v.pkgName}\nFixed Version: ${fixed}\nLink: [${v.vulnerabilityId}](${url})\n${desc}`,
    helpMarkdown: `**Vulnerability ${v.vulnerabilityId}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|${v.severity}|${v.pkgName}|${fixed}|[${v.vulnerabilityId}](${url})|\n\n${desc}`,
    message: `Package: ${v.pkgName}\nInstalled Version: ${v.installedVersion}\nVulnerability ${v.vulnerabilityId}\nSeverity: ${v.severity}\nFixed Version: ${fixed}\nLink: [${v.vulnerabilityId}](${url})`,
  };
}

function secretFinding(r: ScanResult, s: SecretFinding, target: string): Finding {
  return {
    ruleId: s.ruleId,
    ruleName: ruleName('secret'),
    title: 'secret',
    severity: s.severity,
    score: severityToScore(s.severity),
    cvss: {},
    url: BUILTIN_RULES_URL,
    uri: goUri(target),
    locationMessage: target,
    locations: [{ startLine: s.startLine, endLine: s.endLine }],
    shortDescription: s.title,
    fullDescription: s.match,
    helpText: `Secret ${s.title}\nSeverity: ${s.severity}\nMatch: ${s.match}`,
    helpMarkdown: `**Secret ${s.title}**\n| Severity | Match |\n| --- | --- |\n|${s.severity}|${s.match}|`,
    message: `Artifact: ${r.target}\nType: ${r.type ?? ''}\nSecret ${s.title}\nSeverity: ${s.severity}\nMatch: ${s.match}`,
  };
}

function sarifLocations(locs: Loc[], uri: string, message: string): Json[] {
  const list = locs.length > 0 ? locs : [{ startLine: 1, endLine: 1 }];
  return list.map((l) => {
    const fallback = l.startLine === 0 && l.endLine === 0;
    return {
      physicalLocation: {
        artifactLocation: { uri, uriBaseId: 'ROOTPATH' },
        region: {
          startLine: fallback ? 1 : l.startLine,
          startColumn: 1,
          endLine: fallback ? 1 : l.endLine,
          endColumn: 1,
        },
      },
      message: { text: message },
    };
  });
}

/** The SARIF log as an object (see scanSarif for the text). */
export function toSarif(report: ScanReport, opts: SarifOptions = {}): Json {
  const rules: Json[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Json[] = [];
  const add = (f: Finding) => {
    let idx = ruleIndex.get(f.ruleId);
    if (idx === undefined) {
      idx = rules.length;
      ruleIndex.set(f.ruleId, idx);
      rules.push({});
    }
    // Trivy's rule builder returns the existing rule and overwrites its fields: the last finding wins.
    const rule: Json = {
      id: f.ruleId,
      name: f.ruleName,
      shortDescription: { text: f.shortDescription },
      fullDescription: { text: f.fullDescription },
      defaultConfiguration: { level: level(f.severity) },
      ...(f.url ? { helpUri: f.url } : {}),
      help: { text: f.helpText, markdown: f.helpMarkdown },
      properties: properties(f.title, f.severity, f.score, f.cvss),
    };
    rules[idx] = rule;
    results.push({
      ruleId: f.ruleId,
      ruleIndex: idx,
      level: level(f.severity),
      message: { text: f.message },
      locations: sarifLocations(f.locations, f.uri, f.locationMessage),
    });
  };
  for (const r of report.results) {
    const target = toPathUri(r.target, r.class);
    const cache = new Map<string, Loc[]>();
    for (const v of r.vulnerabilities ?? []) {
      const path = v.pkgPath ? toPathUri(v.pkgPath, r.class) : target;
      const key = `${path}@${v.pkgName}@${v.installedVersion}`;
      let locs = cache.get(key);
      if (!locs) {
        const pkg = (r.packages ?? []).find((p) => p.name === v.pkgName && p.version === v.installedVersion);
        locs = pkg?.locations?.map((l) => ({ startLine: l.startLine, endLine: l.endLine })) ?? [];
        if (pkg) cache.set(key, locs);
      }
      add(vulnFinding(r, v, target, locs));
    }
    for (const s of r.secrets ?? []) add(secretFinding(r, s, target));
  }
  const run: Json = {
    tool: {
      driver: {
        fullName: opts.driver?.fullName ?? 'Palisade Vulnerability Scanner',
        ...(opts.driver?.informationUri ? { informationUri: opts.driver.informationUri } : {}),
        name: opts.driver?.name ?? 'Palisade',
        rules,
        version: opts.toolVersion ?? TOOL_VERSION,
      },
    },
    results,
    columnKind: 'utf16CodeUnits',
  };
  if (opts.rootPath) {
    const p = opts.rootPath.replace(/\\/g, '/');
    run['originalUriBaseIds'] = { ROOTPATH: { uri: `file://${p.startsWith('/') ? '' : '/'}${p}/` } };
  }
  if (report.artifact.type === 'container_image') {
    run['properties'] = {
      imageID: report.artifact.imageId ?? '',
      imageName: report.artifact.name,
      repoDigests: report.artifact.repoDigests ?? null,
      repoTags: report.artifact.repoTags ?? null,
    };
  }
  return {
    version: '2.1.0',
    $schema:
      'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json',
    runs: [run],
  };
}

export function scanSarif(report: ScanReport, opts: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, opts), null, 2)}\n`;
}
