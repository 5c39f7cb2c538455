/**
 * Shared helpers for the Node.js analyzers: package ids, license fields and
 * package.json parsing, following Trivy's nodejs/packagejson parser.
 */
import type { Package, PackageSet } from '@palisade/api';
import type * as Semver from 'semver';
import { lazy } from '../../../core/lazy.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import { parseOrWarn } from './file-analyzer.js';

const semver = lazy<typeof Semver>('semver');
import type { JsonObject, JsonValue } from './json-located.js';
import { isJsonObject, parseJsonLocated, stringField, stringMap } from './json-located.js';

/** Trivy's dependency.ID for npm-like ecosystems: `name@version`, or the bare name without a version. */
export function npmPackageId(name: string, version: string): string {
  return version ? `${name}@${version}` : name;
}

/** npm's package name rule as Trivy checks it (scope optional). */
const NAME_RE = /^(@[A-Za-z0-9-._]+\/)?[A-Za-z0-9-._]+$/;

export function isValidNpmName(name: string): boolean {
  return name === '' || NAME_RE.test(name);
}

function licenseOf(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isJsonObject(v)) {
    const t = v['type'];
    if (typeof t === 'string') return t;
  }
  return undefined;
}

/**
 * The licenses a package.json (or a package-lock entry) declares:
 * `"license": "MIT"`, the legacy `{"type": "MIT", "url": …}`, an array of
 * either, or the legacy `"licenses": [...]` field. Empty names are dropped.
 */
export function npmLicenses(pkg: JsonObject): string[] {
  const raw = Object.prototype.hasOwnProperty.call(pkg, 'license') ? pkg['license'] : pkg['licenses'];
  const list = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of list) {
    const l = licenseOf(item)?.trim();
    if (l) out.push(l);
  }
  return out;
}

/** `workspaces` is an array of globs, or `{ packages: [...] }` (yarn's form). */
export function npmWorkspaces(v: JsonValue | undefined): string[] {
  const list = isJsonObject(v) ? v['packages'] : v;
  if (!Array.isArray(list)) return [];
  return list.filter((x): x is string => typeof x === 'string');
}

export interface PackageJson {
  name: string;
  version: string;
  licenses: string[];
  dependencies: Map<string, string>;
  optionalDependencies: Map<string, string>;
  devDependencies: Map<string, string>;
  peerDependencies: Map<string, string>;
  workspaces: string[];
}

export type PackageJsonResult = { ok: true; pkg: PackageJson } | { ok: false; error: string; line?: number };

/** Parses a package.json; an invalid name is an error, as in Trivy. */
export function parsePackageJson(text: string): PackageJsonResult {
  let value: JsonValue;
  try {
    value = parseJsonLocated(text).value;
  } catch (err) {
    const e = err as { message: string; line?: number };
    return e.line !== undefined
      ? { ok: false, error: e.message, line: e.line }
      : { ok: false, error: e.message };
  }
  if (!isJsonObject(value)) return { ok: false, error: 'package.json is not a JSON object' };
  const name = stringField(value, 'name') ?? '';
  if (!isValidNpmName(name)) return { ok: false, error: `invalid package name ${JSON.stringify(name)}` };
  return {
    ok: true,
    pkg: {
      name,
      version: stringField(value, 'version') ?? '',
      licenses: npmLicenses(value),
      dependencies: stringMap(value, 'dependencies'),
      optionalDependencies: stringMap(value, 'optionalDependencies'),
      devDependencies: stringMap(value, 'devDependencies'),
      peerDependencies: stringMap(value, 'peerDependencies'),
      workspaces: npmWorkspaces(value['workspaces']),
    },
  };
}

/** A version range Trivy's npm comparer accepts (tags, URLs and protocols are not). */
export function isNpmRange(constraint: string): boolean {
  const c = constraint.trim() === '' ? '*' : constraint;
  return semver().validRange(c, { loose: true }) !== null;
}

/**
 * Does `version` satisfy the npm range `constraint`? Trivy uses its npm
 * comparer here; non-semver constraints (tags, URLs) never match.
 */
export function npmMatches(version: string, constraint: string): boolean {
  if (!isNpmRange(constraint)) return false;
  const c = constraint.trim() === '' ? '*' : constraint;
  try {
    return semver().satisfies(version, c, { loose: true, includePrerelease: true });
  } catch {
    return false;
  }
}

/** True when the path is a package root under node_modules (`node_modules/x/package.json`, `node_modules/@s/x/package.json`). */
export function isNodeModulesPackageRoot(path: string): boolean {
  const parts = path.split('/');
  if (parts[parts.length - 1] !== 'package.json') return false;
  const anchor = parts.lastIndexOf('node_modules');
  if (anchor < 0) return false;
  const name = parts.slice(anchor + 1, -1);
  if (name.length === 1) return !(name[0] ?? '').startsWith('@');
  if (name.length === 2) return (name[0] ?? '').startsWith('@');
  return false;
}

/** Licenses declared by node_modules/**\/package.json under `dir`, keyed by name@version. */
function installedLicenses(dir: string, files: readonly AnalyzerFile[]): Map<string, string[]> {
  const prefix = dir ? `${dir}/node_modules/` : 'node_modules/';
  const out = new Map<string, string[]>();
  for (const f of files) {
    if (!f.path.startsWith(prefix) || baseName(f.path) !== 'package.json') continue;
    const r = parsePackageJson(decodeText(f.content));
    if (!r.ok || !r.pkg.name || !r.pkg.version || r.pkg.licenses.length === 0) continue;
    out.set(npmPackageId(r.pkg.name, r.pkg.version), r.pkg.licenses);
  }
  return out;
}

/**
 * Gives each package of a lockfile that declares no license the licenses of
 * its installed node_modules/**\/package.json beside the lockfile, as Trivy's
 * npm, yarn and pnpm analyzers do. `keyOf` names a package as name@version.
 */
export function addInstalledLicenses(
  packages: readonly Package[],
  lockfilePath: string,
  files: readonly AnalyzerFile[],
  keyOf: (p: Package) => string = (p) => p.id ?? '',
): void {
  const licenses = installedLicenses(dirName(lockfilePath), files);
  for (const p of packages) {
    if (p.licenses) continue;
    const l = licenses.get(keyOf(p));
    if (l) p.licenses = [...l];
  }
}

export interface NodeLockfileSpec {
  name: string;
  version: number;
  /** The lockfile's base name (`package-lock.json`), which also labels its parse errors. */
  fileName: string;
  /** The package set's type (Trivy's language type). */
  type: string;
  /** Packages and per-entry warnings; throws (with a `line` when known) on malformed input. */
  parse(text: string): { packages: Package[]; warnings: string[] };
  /** Diagnostic code for the parser's warnings. */
  warningCode: string;
  /** How a package is named in the installed-licenses lookup (default: its id). */
  licenseKey?: (p: Package) => string;
}

/**
 * A Node.js lockfile outside node_modules, read with the installed
 * node_modules/**\/package.json beside it for licenses (group mode, so the
 * analyzer receives both), as Trivy's npm and pnpm analyzers do.
 */
export function nodeLockfileAnalyzer(spec: NodeLockfileSpec): Analyzer {
  const isLockfile = (path: string): boolean =>
    baseName(path) === spec.fileName && !dirName(path).split('/').includes('node_modules');
  return {
    name: spec.name,
    version: spec.version,
    targets: ['fs'],
    mode: 'group',
    required: (path) => isLockfile(path) || isNodeModulesPackageRoot(path),
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      const sets: PackageSet[] = [];
      for (const f of files) {
        if (!isLockfile(f.path)) continue;
        const result = parseOrWarn(ctx, f.path, spec.fileName, () => spec.parse(decodeText(f.content)));
        if (!result) continue;
        for (const w of result.warnings) ctx.diagnostics.warn(spec.warningCode, w, { file: f.path });
        addInstalledLicenses(result.packages, f.path, files, spec.licenseKey);
        if (result.packages.length > 0)
          sets.push({ class: 'lang-pkgs', type: spec.type, filePath: f.path, packages: result.packages });
      }
      return sets.length > 0 ? { packageSets: sets } : {};
    },
  };
}

/**
 * Matches a path against a workspace glob as Go's path.Match does
 * (`*` and `?` within one segment, `[...]` classes); used for npm workspaces.
 */
export function pathMatch(pattern: string, path: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      i++;
      re += escapeRe(pattern[i] ?? '');
    } else re += escapeRe(c);
  }
  re += '$';
  try {
    return new RegExp(re).test(path);
  } catch {
    return false;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
