/**
 * yarn.lock (yarn v1 "classic" and v2+ "berry"), as Trivy's yarn parser and
 * fanal yarn analyzer read it.
 *
 * The lockfile is read block by block (blocks are separated by a blank line),
 * with the same line patterns as Trivy: only `npm:` (or no) protocol entries
 * are packages; `workspace:`, `patch:`, `file:`, `link:`, `portal:` and git
 * entries are skipped silently; any other protocol is skipped with a warning.
 *
 * The package.json beside the lockfile (and the package.json of each of its
 * workspaces) then tells direct from transitive and production from
 * development dependencies, and adds the root and workspace packages, as
 * Trivy's analyzer does. Without a package.json, relationships stay unknown.
 * Licenses come from node_modules/**\/package.json beside the lockfile.
 */
import type { Package, PackageSet } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import type { PackageJson } from '../lib/npm.js';
import {
  addInstalledLicenses,
  isNodeModulesPackageRoot,
  isNpmRange,
  npmMatches,
  npmPackageId,
  parsePackageJson,
  pathMatch,
} from '../lib/npm.js';
import { sortPackages } from '../lib/package-order.js';

const PATTERN_RE = /^\s?\\?"?(\S+?)@(?:(\S+?):)?(.+?)\\?"?:?$/;
const VERSION_RE = /^"?version:?"?\s+"?([^"]+)"?/;
const DEPENDENCY_RE = /\s{4,}"?(.+?)"?:?\s"?(?:(\S+?):)?([^"]+)"?/;
// Yarn's own alias fragment pattern (`npm:real-name@range`).
const FRAGMENT_RE = /(\S+):(@?.*?)(@(.*?)|)$/;

function validProtocol(protocol: string): boolean {
  return protocol === '' || protocol === 'npm';
}

const IGNORED_PROTOCOLS = new Set([
  'workspace',
  'patch',
  'file',
  'link',
  'portal',
  'github',
  'git',
  'git+ssh',
  'git+http',
  'git+https',
  'git+file',
]);

interface Pattern {
  name: string;
  protocol: string;
  version: string;
}

function parsePattern(target: string): Pattern | undefined {
  const m = PATTERN_RE.exec(target);
  if (!m) return undefined;
  return { name: m[1] ?? '', protocol: m[2] ?? '', version: m[3] ?? '' };
}

interface Block {
  name: string;
  version: string;
  patterns: string[];
  deps: string[];
  startLine: number;
  endLine: number;
}

interface BlockResult {
  block?: Block;
  /** Line number of the block's last line. */
  lastLine: number;
  warning?: LineWarning;
}

export interface LineWarning {
  line: number;
  message: string;
}

function parseBlock(text: string, lineNum: number): BlockResult {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let emptyLines = 0;
  let skip = false;
  let warning: LineWarning | undefined;
  let name = '';
  let version = '';
  let patterns: string[] = [];
  let deps: string[] = [];
  const lastLine = lineNum + lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (line === '') {
      emptyLines++;
      continue;
    }
    if (line.startsWith('#') || skip) continue;
    if (line.startsWith('__metadata')) {
      skip = true;
      continue;
    }
    line = line.trim();
    if (line.startsWith('"')) line = line.slice(1);
    if (line.startsWith('version')) {
      const m = VERSION_RE.exec(line);
      if (m) version = m[1] ?? '';
      else skip = true;
      continue;
    }
    if (line.startsWith('dependencies:')) {
      // Trivy reads dependency lines until the first line that is not one (that line is consumed too).
      deps = [];
      for (i++; i < lines.length; i++) {
        const m = DEPENDENCY_RE.exec(lines[i] ?? '');
        if (!m) break;
        if (validProtocol(m[2] ?? '')) deps.push(npmPackageId(m[1] ?? '', m[3] ?? ''));
      }
      continue;
    }
    const parts = line.split(', ');
    const first = parsePattern(parts[0] ?? '');
    if (!first) continue;
    if (!validProtocol(first.protocol)) {
      skip = true;
      if (!IGNORED_PROTOCOLS.has(first.protocol))
        warning = {
          line: lineNum + i,
          message: `unknown protocol ${JSON.stringify(first.protocol)}: entry skipped`,
        };
      continue;
    }
    name = first.name;
    patterns = parts.map((p) => npmPackageId(first.name, parsePattern(p)?.version ?? ''));
  }
  if (warning !== undefined) return { lastLine, warning };
  if (name === '') return { lastLine };
  if (version === '') warning = { line: lineNum + emptyLines, message: `entry ${name} has no version` };
  return {
    ...(warning !== undefined ? { warning } : {}),
    block: { name, version, patterns, deps, startLine: lineNum + emptyLines, endLine: lastLine },
    lastLine,
  };
}

export interface YarnLockResult {
  packages: Package[];
  /** Package id → the lockfile patterns (`name@range`) it resolves. */
  patterns: Map<string, string[]>;
  warnings: LineWarning[];
}

/** Splits as Trivy's block scanner does: on the first "\n\n", else on "\r\n\r\n". */
function* blocks(text: string): Generator<string> {
  let rest = text;
  while (rest.length > 0) {
    let i = rest.indexOf('\n\n');
    let sep = 2;
    if (i < 0) {
      i = rest.indexOf('\r\n\r\n');
      sep = 4;
    }
    if (i < 0) {
      yield rest;
      return;
    }
    yield rest.slice(0, i);
    rest = rest.slice(i + sep);
  }
}

export function parseYarnLock(text: string): YarnLockResult {
  const packages: Package[] = [];
  const patternIds = new Map<string, string>();
  const idPatterns = new Map<string, string[]>();
  const dependsOn = new Map<string, string[]>();
  const warnings: LineWarning[] = [];
  let lineNumber = 1;
  for (const b of blocks(text)) {
    const r = parseBlock(b, lineNumber);
    lineNumber = r.lastLine + 2;
    if (r.warning) warnings.push(r.warning);
    const blk = r.block;
    if (!blk) continue;
    const id = npmPackageId(blk.name, blk.version);
    packages.push({
      id,
      name: blk.name,
      version: blk.version,
      locations: [{ startLine: blk.startLine, endLine: blk.endLine }],
    });
    idPatterns.set(id, blk.patterns);
    for (const p of blk.patterns) patternIds.set(p, id);
    if (blk.deps.length > 0) dependsOn.set(id, blk.deps);
  }
  for (const p of packages) {
    const deps = dependsOn.get(p.id ?? '');
    if (!deps) continue;
    const ids = deps.map((d) => patternIds.get(d)).filter((x): x is string => x !== undefined);
    if (ids.length > 0) p.dependsOn = [...new Set(ids)];
  }
  return { packages: sortPackages(packages), patterns: idPatterns, warnings };
}

interface Manifest {
  json: PackageJson;
  pkg: Package;
}

/** Root or workspace package from a package.json, as Trivy builds it (id falls back to the file path). */
function manifestPackage(json: PackageJson, path: string, relationship: 'root' | 'workspace'): Package {
  const id = json.name && json.version ? npmPackageId(json.name, json.version) : path;
  const pkg: Package = { id, name: json.name, version: json.version, relationship };
  if (json.licenses.length > 0) pkg.licenses = [...json.licenses];
  return pkg;
}

class ConstraintError extends Error {}

/**
 * Marks the packages reachable from a manifest's dependencies: direct ones
 * `direct`, the rest `indirect`; dev-ness from the manifest section (a package
 * already reached from production dependencies stays production).
 */
function walkDependencies(
  parent: Package,
  pkgs: Map<string, Package>,
  directDeps: Map<string, string>,
  patterns: Map<string, string[]>,
  dev: boolean,
): void {
  const seen = new Set<string>();
  for (const original of [...pkgs.values()]) {
    let constraint = directDeps.get(original.name);
    if (constraint === undefined) continue;
    const pkg: Package = { ...original };
    const alias = FRAGMENT_RE.exec(constraint);
    if (alias) {
      if (alias[3]) {
        // `npm:real-name@range`: the alias resolves to the real package.
        pkg.name = alias[2] ?? '';
        constraint = alias[4] ?? '';
      } else {
        // `npm:^4.1.0` is a plain range with a protocol (Trivy would take `^4.1.0` for the name).
        constraint = alias[2] ?? '';
      }
    }
    const pkgPatterns = patterns.get(pkg.id ?? '');
    if (!pkgPatterns || !pkgPatterns.includes(npmPackageId(pkg.name, constraint))) {
      if (!isNpmRange(constraint))
        throw new ConstraintError(`${pkg.name}: unusable version range ${constraint}`);
      if (!npmMatches(pkg.version, constraint)) continue;
    }
    if (pkg.relationship === undefined || pkg.relationship === 'unknown' || pkg.dev) pkg.dev = dev;
    pkg.relationship = 'direct';
    pkgs.set(pkg.id ?? '', pkg);
    seen.add(pkg.id ?? '');
    (parent.dependsOn ??= []).push(pkg.id ?? '');
    walkIndirect(pkg, pkgs, seen);
  }
}

function walkIndirect(start: Package, pkgs: Map<string, Package>, seen: Set<string>): void {
  // Iterative depth-first walk (lockfiles can be deep; no recursion on input).
  const stack: Package[] = [start];
  while (stack.length > 0) {
    const pkg = stack.pop() as Package;
    for (const depId of [...(pkg.dependsOn ?? [])].reverse()) {
      if (seen.has(depId)) continue;
      const found = pkgs.get(depId);
      if (!found) continue;
      const dep: Package = { ...found };
      if (dep.relationship === undefined || dep.relationship === 'unknown' || dep.dev)
        dep.dev = pkg.dev ?? false;
      dep.relationship = 'indirect';
      pkgs.set(depId, dep);
      seen.add(depId);
      stack.push(dep);
    }
  }
}

function resolveManifest(m: Manifest, pkgs: Map<string, Package>, patterns: Map<string, string[]>): void {
  // Development dependencies first, so production ones overwrite them.
  walkDependencies(m.pkg, pkgs, m.json.devDependencies, patterns, true);
  walkDependencies(
    m.pkg,
    pkgs,
    new Map([...m.json.dependencies, ...m.json.optionalDependencies]),
    patterns,
    false,
  );
  if (m.pkg.dependsOn) m.pkg.dependsOn = [...new Set(m.pkg.dependsOn)].sort();
  pkgs.set(m.pkg.id ?? '', m.pkg);
}

function joinPath(dir: string, rel: string): string {
  const parts = (dir ? `${dir}/${rel}` : rel).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out.join('/');
}

/** package.json files of the workspaces (globs relative to the root package.json). */
function workspaceManifests(
  dir: string,
  globs: string[],
  files: readonly AnalyzerFile[],
  ctx: AnalyzerContext,
): Manifest[] {
  if (globs.length === 0) return [];
  const patterns = globs.map((g) => joinPath(dir, g));
  const out: Manifest[] = [];
  for (const f of files) {
    if (baseName(f.path) !== 'package.json') continue;
    const d = dirName(f.path);
    if (d === dir || d.split('/').includes('node_modules')) continue;
    // The workspace directory itself or any directory below it.
    let matched = false;
    for (let cur = d; cur !== '' && cur !== dir && !matched; cur = dirName(cur)) {
      matched = patterns.some((p) => pathMatch(p, cur));
    }
    if (!matched) continue;
    const r = parsePackageJson(decodeText(f.content));
    if (!r.ok) {
      ctx.diagnostics.warn('PARSE_ERROR', `package.json: ${r.error}`, {
        file: f.path,
        ...(r.line !== undefined ? { line: r.line } : {}),
      });
      continue;
    }
    out.push({ json: r.pkg, pkg: manifestPackage(r.pkg, f.path, 'workspace') });
  }
  return out;
}

/** Adds the root and workspace packages and marks relationships; returns false when it had to give up. */
function analyzeDependencies(
  lockPath: string,
  result: YarnLockResult,
  files: readonly AnalyzerFile[],
  ctx: AnalyzerContext,
): Package[] {
  const dir = dirName(lockPath);
  const manifestPath = dir ? `${dir}/package.json` : 'package.json';
  const manifestFile = files.find((f) => f.path === manifestPath);
  if (!manifestFile) return result.packages;
  const r = parsePackageJson(decodeText(manifestFile.content));
  if (!r.ok) {
    ctx.diagnostics.warn('PARSE_ERROR', `package.json: ${r.error}`, {
      file: manifestPath,
      ...(r.line !== undefined ? { line: r.line } : {}),
    });
    return result.packages;
  }
  const root: Manifest = { json: r.pkg, pkg: manifestPackage(r.pkg, manifestPath, 'root') };
  const workspaces = workspaceManifests(dir, r.pkg.workspaces, files, ctx);
  for (const w of workspaces) (root.pkg.dependsOn ??= []).push(w.pkg.id ?? '');

  const pkgs = new Map<string, Package>(result.packages.map((p) => [p.id ?? '', { ...p }]));
  try {
    resolveManifest(root, pkgs, result.patterns);
    for (const w of workspaces) resolveManifest(w, pkgs, result.patterns);
  } catch (err) {
    if (!(err instanceof ConstraintError)) throw err;
    ctx.diagnostics.warn('YARN_DIRECT_DEPS', `unable to tell direct dependencies: ${err.message}`, {
      file: manifestPath,
    });
    return result.packages;
  }
  return sortPackages([...pkgs.values()]);
}

function isLockfile(path: string): boolean {
  if (baseName(path) !== 'yarn.lock') return false;
  const dirs = dirName(path).split('/');
  return !dirs.includes('node_modules') && !dirs.includes('.yarn');
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const sets: PackageSet[] = [];
  for (const f of files) {
    if (!isLockfile(f.path)) continue;
    const result = parseYarnLock(decodeText(f.content));
    for (const w of result.warnings)
      ctx.diagnostics.warn('YARN_LOCK_ENTRY', w.message, { file: f.path, line: w.line });
    const packages = analyzeDependencies(f.path, result, files, ctx);
    addInstalledLicenses(packages, f.path, files);
    if (packages.length > 0) sets.push({ class: 'lang-pkgs', type: 'yarn', filePath: f.path, packages });
  }
  return sets.length > 0 ? { packageSets: sets } : {};
}

export const analyzer: Analyzer = {
  name: 'lang/yarn-lock',
  version: 1,
  targets: ['fs'],
  mode: 'group',
  required(path) {
    if (isLockfile(path)) return true;
    if (baseName(path) !== 'package.json') return false;
    // Manifests (root and workspaces) and installed packages (licenses).
    return !path.split('/').includes('node_modules') || isNodeModulesPackageRoot(path);
  },
  analyze,
};
