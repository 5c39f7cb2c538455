/**
 * Debian packages installed by dpkg (Trivy: fanal analyzer/pkg/dpkg).
 *
 * Reads var/lib/dpkg/status and, for distroless images that have no status
 * file, every file directly under var/lib/dpkg/status.d/ (one paragraph per
 * package; their `*.md5sums` companions are skipped). Each status file is its
 * own package set. var/lib/dpkg/available of the same layer, when present,
 * gives packages a `sha256:` digest (matched on name and full version, as
 * Trivy does). Runs in group mode so that the available file and the status
 * files of one layer are seen together.
 *
 * Fields, as Trivy fills them:
 * - `id`: `name@<Version field as written>`, e.g. `libgcc1@1:5.1.1-12ubuntu1`;
 * - `version`/`release`/`epoch`: the upstream version, the Debian revision and
 *   a non-zero epoch of the Version field;
 * - `srcName`/`srcVersion`/`srcRelease`/`srcEpoch`: from `Source: name (version)`;
 *   the source name defaults to the package name and the source version to
 *   the package's own version (dpkg's own defaults);
 * - `arch` (Architecture), `maintainer`;
 * - `dependsOn`: the ids of installed packages named in Depends (alternatives
 *   included, version constraints dropped), sorted; names that no package of
 *   the same file has are left out.
 *
 * Which paragraphs are packages: Trivy keeps every paragraph whose Status does
 * not want the package removed (`deinstall`, `purge`), so half-installed and
 * unpacked packages count (their files are on disk). Palisade also drops
 * paragraphs whose status is `not-installed` or `config-files`, because none
 * of the package's files are there (osv-scanner draws the same line).
 * Paragraphs without Package or Version, or with a version that is not a
 * valid Debian version, are dropped with a warning. When one file lists the
 * same name and version twice (multi-arch `Multi-Arch: same` packages of two
 * architectures), they share Trivy's id and the later paragraph is kept, as
 * in Trivy.
 */
import type { Package, PackageSet } from '@palisade/api';
import { parseDeb822 } from '../lib/os-deb822.js';
import { parseDebVersion } from '../lib/os-deb-version.js';
import { locationOf } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

const statusFile = 'var/lib/dpkg/status';
const statusDir = 'var/lib/dpkg/status.d/';
const availableFile = 'var/lib/dpkg/available';

/** Warnings reported per file before the rest are only counted. */
const maxWarningsPerFile = 50;

function isStatusDirEntry(path: string): boolean {
  if (!path.startsWith(statusDir)) return false;
  const rest = path.slice(statusDir.length);
  return rest !== '' && !rest.includes('/') && !rest.endsWith('.md5sums');
}

/** `Source: name (version)`: the name is the leading run of non-space characters. */
const sourceField = /^(\S*)(?: \((.*)\))?/;

/** Depends field → unique package names, alternatives included, constraints dropped. */
export function parseDepends(value: string): string[] {
  const names: string[] = [];
  for (const dep of value.split(',')) {
    for (const alt of dep.split('|')) {
      const paren = alt.indexOf('(');
      const name = (paren >= 0 ? alt.slice(0, paren) : alt).trim();
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** Whether a Status field describes a package whose files are on disk. */
export function isInstalled(status: string): boolean {
  const words = status.split(/\s+/).filter((w) => w !== '');
  if (words.includes('deinstall') || words.includes('purge')) return false;
  const state = words[2];
  return state !== 'not-installed' && state !== 'config-files';
}

class FileWarnings {
  private count = 0;
  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly path: string,
  ) {}
  warn(code: string, message: string, line?: number): void {
    this.count++;
    if (this.count <= maxWarningsPerFile)
      this.ctx.diagnostics.warn(code, message, locationOf(this.ctx, this.path, line));
  }
  finish(): void {
    if (this.count > maxWarningsPerFile) {
      this.ctx.diagnostics.warn(
        'DPKG_MORE_WARNINGS',
        `${this.count - maxWarningsPerFile} more warnings in this file were not listed`,
        locationOf(this.ctx, this.path),
      );
    }
  }
}

/** `name@version` → `sha256:<hex>` from var/lib/dpkg/available. */
export function parseAvailable(text: string): Map<string, string> {
  const digests = new Map<string, string>();
  for (const p of parseDeb822(text).paragraphs) {
    const name = p.fields.get('package') ?? '';
    const version = p.fields.get('version') ?? '';
    const sha256 = p.fields.get('sha256') ?? '';
    if (name !== '' && version !== '' && sha256 !== '') digests.set(`${name}@${version}`, `sha256:${sha256}`);
  }
  return digests;
}

/** Reads one status file (var/lib/dpkg/status or a status.d entry) into its packages. */
export function parseDpkgStatus(
  path: string,
  text: string,
  ctx: AnalyzerContext,
  digests: ReadonlyMap<string, string> = new Map(),
): Package[] {
  const warnings = new FileWarnings(ctx, path);
  const parsed = parseDeb822(text);
  for (const r of parsed.rejected) {
    warnings.warn('DPKG_PARAGRAPH_REJECTED', `paragraph skipped: ${r.reason}`, r.badLine);
  }
  if (parsed.truncated)
    warnings.warn('DPKG_TOO_MANY_PARAGRAPHS', 'file has too many paragraphs; the rest was not read');

  const byId = new Map<string, { pkg: Package; depends: string[] }>();
  const idByName = new Map<string, string>();
  for (const p of parsed.paragraphs) {
    if (!isInstalled(p.fields.get('status') ?? '')) continue;
    const name = p.fields.get('package') ?? '';
    const rawVersion = p.fields.get('version') ?? '';
    if (name === '' || rawVersion === '') {
      warnings.warn(
        'DPKG_MISSING_FIELD',
        `paragraph skipped: no ${name === '' ? 'Package' : 'Version'} field`,
        p.line,
      );
      continue;
    }

    let srcName = '';
    let srcRaw = '';
    const source = p.fields.get('source') ?? '';
    if (source !== '') {
      const m = sourceField.exec(source);
      srcName = (m?.[1] ?? '').trim();
      srcRaw = (m?.[2] ?? '').trim();
    }
    if (srcName === '') srcName = name;
    if (srcRaw === '') srcRaw = rawVersion;

    const v = parseDebVersion(rawVersion);
    if (!v) {
      warnings.warn('DPKG_INVALID_VERSION', `${name}: invalid version ${JSON.stringify(rawVersion)}`, p.line);
      continue;
    }
    const sv = parseDebVersion(srcRaw);
    if (!sv) {
      warnings.warn(
        'DPKG_INVALID_VERSION',
        `${name}: invalid source version ${JSON.stringify(srcRaw)}`,
        p.line,
      );
      continue;
    }

    const id = `${name}@${rawVersion}`;
    const pkg: Package = { id, name, version: v.upstream };
    if (v.revision !== '') pkg.release = v.revision;
    if (v.epoch !== 0) pkg.epoch = v.epoch;
    const arch = p.fields.get('architecture') ?? '';
    if (arch !== '') pkg.arch = arch;
    pkg.srcName = srcName;
    pkg.srcVersion = sv.upstream;
    if (sv.revision !== '') pkg.srcRelease = sv.revision;
    if (sv.epoch !== 0) pkg.srcEpoch = sv.epoch;
    const maintainer = p.fields.get('maintainer') ?? '';
    if (maintainer !== '') pkg.maintainer = maintainer;
    const digest = digests.get(id);
    if (digest !== undefined) pkg.digest = digest;

    byId.set(id, { pkg, depends: parseDepends(p.fields.get('depends') ?? '') });
    idByName.set(name, id);
  }
  warnings.finish();

  const out: Package[] = [];
  for (const { pkg, depends } of byId.values()) {
    const ids = new Set<string>();
    for (const d of depends) {
      const target = idByName.get(d);
      if (target !== undefined) ids.add(target);
    }
    if (ids.size > 0) pkg.dependsOn = [...ids].sort();
    out.push(pkg);
  }
  return out.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : (a.id ?? '') < (b.id ?? '') ? -1 : 1,
  );
}

export const analyzer: Analyzer = {
  name: 'os/dpkg',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'group',
  required: (path) => path === statusFile || path === availableFile || isStatusDirEntry(path),
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const available = files.find((f) => f.path === availableFile);
    const digests = available ? parseAvailable(decodeText(available.content)) : new Map<string, string>();
    const packageSets: PackageSet[] = [];
    for (const f of files) {
      if (f.path === availableFile) continue;
      packageSets.push({
        class: 'os-pkgs',
        type: 'dpkg',
        filePath: f.path,
        packages: parseDpkgStatus(f.path, decodeText(f.content), ctx, digests),
      });
    }
    return packageSets.length > 0 ? { packageSets } : {};
  },
};
