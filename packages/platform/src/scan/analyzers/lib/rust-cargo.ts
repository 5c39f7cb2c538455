/**
 * Cargo.lock (v1–v4) and the Cargo.toml files beside it, read as Trivy's cargo
 * parser and analyzer read them:
 * - every `[[package]]` is a package `name@version`; locations are the lines
 *   of its table (Trivy's naive line scanner: from the `[[package]]` line to
 *   the line before the next blank line or table); `dependencies` entries are
 *   `name` (unique in the lock), `name version` or the v1 form
 *   `name version (source)`.
 * - with a Cargo.toml beside the lock: the root package and the workspace
 *   members (`[workspace] members`, globs allowed) are `root`/`workspace`; the
 *   dependencies each of them declares in `[dependencies]` or
 *   `[target.*.dependencies]` (possibly `workspace = true`) are direct, what
 *   those pull in is indirect, and everything else (dev and build
 *   dependencies, other platforms' leftovers) is left out, as Trivy does.
 */
import { createHash } from 'node:crypto';
import type * as Semver from 'semver';
import type * as SmolToml from 'smol-toml';
import { lazy } from '../../../core/lazy.js';

const semverLib = lazy<typeof Semver>('semver');
const toml = lazy<typeof SmolToml>('smol-toml');
import type { Package } from '@palisade/api';

export class CargoParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'CargoParseError';
  }
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

const MAX_DEPTH = 64;

/** Parses TOML; throws CargoParseError with the line of the syntax error. */
export function parseTomlText(text: string): Table {
  try {
    return toml().parse(text, { maxDepth: MAX_DEPTH, unsafeKeyBehaviour: 'drop' });
  } catch (err) {
    if (err instanceof toml().TomlError)
      throw new CargoParseError(err.message.split('\n')[0] ?? 'invalid TOML', err.line);
    throw err;
  }
}

export function cargoPackageId(name: string, version: string): string {
  return version === '' ? name : `${name}@${version}`;
}

/** Trivy's naive scanner: line range of each `[[package]]` table, by package ID. */
function packageLines(text: string): Map<string, { startLine: number; endLine: number }> {
  const idx = new Map<string, { startLine: number; endLine: number }>();
  let cur = { name: '', version: '', start: 0, end: 0 };
  const value = (line: string): string => {
    const parts = line.split('=');
    return parts.length === 2 ? parts[1]!.replace(/^[ "]+|[ "]+$/g, '') : '';
  };
  const lines = text.split('\n');
  let lineNum = 1;
  for (const raw of lines) {
    // bufio.Scanner drops a trailing \r.
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t.startsWith('[')) {
      if (cur.name !== '') {
        if (cur.end === 0) cur.end = lineNum - 1;
        idx.set(cargoPackageId(cur.name, cur.version), { startLine: cur.start, endLine: cur.end });
      }
      cur = { name: '', version: '', start: lineNum, end: 0 };
    } else if (t.startsWith('name =')) cur.name = value(line);
    else if (t.startsWith('version =')) cur.version = value(line);
    else if (t === '' && cur.end === 0) cur.end = lineNum - 1;
    lineNum++;
  }
  // The scanner does not see an empty last "line" after the final newline.
  if (text.endsWith('\n')) lineNum--;
  if (cur.name !== '') {
    if (cur.end === 0) cur.end = lineNum - 1;
    idx.set(`${cur.name}@${cur.version}`, { startLine: cur.start, endLine: cur.end });
  }
  return idx;
}

/** Packages of a Cargo.lock (relationship unknown). Throws CargoParseError for malformed TOML. */
export function parseCargoLock(text: string): Package[] {
  const doc = parseTomlText(text);
  const list = Array.isArray(doc['package']) ? (doc['package'] as unknown[]) : [];
  const entries = list.filter(isTable).map((p) => ({
    name: typeof p['name'] === 'string' ? p['name'] : '',
    version: typeof p['version'] === 'string' ? p['version'] : '',
    dependencies: Array.isArray(p['dependencies'])
      ? (p['dependencies'] as unknown[]).filter((d): d is string => typeof d === 'string')
      : [],
  }));
  const lines = packageLines(text);
  // Lockfile v3+ names a dependency alone when only one version is locked.
  const byName = new Map<string, string>();
  for (const e of entries) byName.set(e.name, e.version);
  return entries.map((e) => {
    const id = cargoPackageId(e.name, e.version);
    const p: Package = { id, name: e.name, version: e.version };
    const loc = lines.get(id);
    if (loc) p.locations = [{ ...loc }];
    const dependsOn: string[] = [];
    for (const d of e.dependencies) {
      const fields = d
        .trim()
        .split(/\s+/)
        .filter((x) => x !== '');
      if (fields.length === 1) {
        const v = byName.get(fields[0]!);
        if (v !== undefined) dependsOn.push(cargoPackageId(fields[0]!, v));
      } else if (fields.length === 2 || fields.length === 3) {
        dependsOn.push(cargoPackageId(fields[0]!, fields[1]!));
      }
    }
    if (dependsOn.length > 0) p.dependsOn = dependsOn.sort();
    return p;
  });
}

// ---------------------------------------------------------------- Cargo.toml

interface CargoToml {
  /** Lock file ID of the manifest's package (a hash when it has no name: a virtual workspace). */
  pkgId: string;
  /** [dependencies] and [target.*.dependencies]. */
  dependencies: Table;
  members: string[];
  workspaceVersion: string;
  workspaceDependencies: Table;
}

function parseCargoToml(text: string, inheritedWorkspaceVersion: string): CargoToml {
  const doc = parseTomlText(text);
  const pkg = isTable(doc['package']) ? doc['package'] : {};
  const ws = isTable(doc['workspace']) ? doc['workspace'] : {};
  const wsPkg = isTable(ws['package']) ? ws['package'] : {};
  let workspaceVersion = inheritedWorkspaceVersion;
  if (workspaceVersion === '' && typeof wsPkg['version'] === 'string') workspaceVersion = wsPkg['version'];
  let version = '';
  const v = pkg['version'];
  if (v === undefined) version = workspaceVersion;
  else if (typeof v === 'string') version = v;
  else if (isTable(v) && v['workspace'] === true) version = workspaceVersion;
  const dependencies: Table = {};
  if (isTable(doc['dependencies'])) Object.assign(dependencies, doc['dependencies']);
  if (isTable(doc['target'])) {
    for (const t of Object.values(doc['target'])) {
      if (isTable(t) && isTable(t['dependencies'])) Object.assign(dependencies, t['dependencies']);
    }
  }
  const name = typeof pkg['name'] === 'string' ? pkg['name'] : '';
  const pkgId =
    name !== ''
      ? cargoPackageId(name, version)
      : // Trivy hashes the parsed manifest (hashstructure); we hash its canonical JSON.
        createHash('sha256').update(canonicalJson(doc)).digest('hex').slice(0, 16);
  return {
    pkgId,
    dependencies,
    members: Array.isArray(ws['members'])
      ? (ws['members'] as unknown[]).filter((m): m is string => typeof m === 'string')
      : [],
    workspaceVersion,
    workspaceDependencies: isTable(ws['dependencies']) ? ws['dependencies'] : {},
  };
}

function canonicalJson(v: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x, depth + 1)).join(',')}]`;
  if (isTable(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v instanceof Date ? v.toISOString() : v) ?? 'null';
}

function versionConstraint(t: Table): string {
  return typeof t['version'] === 'string' ? t['version'] : '';
}

function workspaceConstraint(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isTable(v)) return versionConstraint(v);
  return '';
}

function resolveDeclaredDeps(dependencies: Table, workspaceDeps: Table): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(dependencies)) {
    if (typeof value === 'string') out.set(name, value);
    else if (isTable(value)) {
      if (value['workspace'] === true) out.set(name, workspaceConstraint(workspaceDeps[name]));
      else out.set(name, versionConstraint(value));
    }
  }
  return out;
}

/**
 * Cargo version requirement check (Trivy: aquasecurity/go-version semver).
 * A bare version means caret; comma-separated requirements all apply.
 */
export function cargoVersionMatches(version: string, constraint: string): boolean | undefined {
  const v = semverLib().parse(version);
  if (!v) return undefined;
  let c = constraint.trim();
  if (/^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]*)?$/.test(c)) c = `^${c}`;
  const range = c
    .split(',')
    .map((part) => part.trim().replace(/^(=|>=|<=|>|<|~|\^)\s+/, '$1'))
    .join(' ');
  try {
    return semverLib().satisfies(v, new (semverLib().Range)(range));
  } catch {
    return undefined;
  }
}

/** A Go path.Match pattern over `/`-separated paths (`*`, `?`, `[...]`, `\` escapes). */
function globToRegExp(pattern: string): RegExp | undefined {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const n = pattern[++i];
      if (n === undefined) return undefined;
      re += n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith('^');
      if (neg) body = body.slice(1);
      re += `[${neg ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    return undefined;
  }
}

/** path.Join + Clean for `/`-separated relative paths. */
export function joinPath(...parts: string[]): string {
  const out: string[] = [];
  for (const seg of parts.join('/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else out.push('..');
    } else out.push(seg);
  }
  return out.join('/') || '.';
}

export interface CargoTomlFile {
  path: string;
  text: string;
}

export interface CargoApplyResult {
  packages: Package[];
  warnings: { file: string; message: string; line?: number }[];
}

/**
 * Trivy's removeDevDependencies: marks root/workspace/direct/indirect from the
 * Cargo.toml beside the lock (`rootToml`) and its workspace members (found
 * among `tomls` by glob), and keeps only what the manifests pull in.
 */
export function applyCargoToml(
  lock: readonly Package[],
  rootToml: CargoTomlFile,
  tomls: readonly CargoTomlFile[],
): CargoApplyResult {
  const warnings: CargoApplyResult['warnings'] = [];
  const root = parseCargoToml(rootToml.text, '');
  const dir = rootToml.path.includes('/') ? rootToml.path.slice(0, rootToml.path.lastIndexOf('/')) : '';

  const owners: { id: string; deps: Map<string, string> }[] = [];
  const rootDeclared = resolveDeclaredDeps(root.dependencies, root.workspaceDependencies);
  for (const [name, value] of Object.entries(root.workspaceDependencies)) {
    if (!rootDeclared.has(name)) rootDeclared.set(name, workspaceConstraint(value));
  }
  owners.push({ id: root.pkgId, deps: rootDeclared });

  const workspaces: string[] = [];
  for (const member of root.members) {
    const pattern = joinPath(dir, member, 'Cargo.toml');
    const re = globToRegExp(pattern);
    if (!re) {
      warnings.push({ file: rootToml.path, message: `invalid workspace member pattern ${member}` });
      continue;
    }
    const matched = tomls.filter((t) => re.test(t.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
    if (matched.length === 0) {
      warnings.push({ file: rootToml.path, message: `no Cargo.toml found for workspace member ${member}` });
      continue;
    }
    for (const m of matched) {
      let parsed: CargoToml;
      try {
        parsed = parseCargoToml(m.text, root.workspaceVersion);
      } catch (err) {
        const e = err as CargoParseError;
        warnings.push(
          e.line !== undefined
            ? { file: m.path, message: e.message, line: e.line }
            : { file: m.path, message: e.message },
        );
        continue;
      }
      workspaces.push(parsed.pkgId);
      owners.push({
        id: parsed.pkgId,
        deps: resolveDeclaredDeps(parsed.dependencies, root.workspaceDependencies),
      });
    }
  }

  const byId = new Map<string, Package>();
  for (const p of lock) byId.set(p.id ?? cargoPackageId(p.name, p.version), p);
  const kept = new Map<string, Package>();

  for (const owner of owners) {
    const ownerPkg = byId.get(owner.id);
    if (!ownerPkg) continue;
    const byName = new Map<string, Package[]>();
    for (const depId of ownerPkg.dependsOn ?? []) {
      const dep = byId.get(depId);
      if (!dep || !owner.deps.has(dep.name)) continue;
      const list = byName.get(dep.name) ?? [];
      list.push(dep);
      byName.set(dep.name, list);
    }
    for (const [name, candidates] of byName) {
      const constraint = owner.deps.get(name) ?? '';
      for (const pkg of candidates) {
        if (candidates.length > 1 && constraint !== '') {
          const ok = cargoVersionMatches(pkg.version, constraint);
          if (ok === undefined) {
            warnings.push({ file: rootToml.path, message: `cannot match ${pkg.id} against ${constraint}` });
            continue;
          }
          if (!ok) continue;
        }
        kept.set(pkg.id!, { ...pkg, relationship: 'direct' });
      }
    }
  }

  // Everything the direct dependencies pull in (dev dependencies are never reached from them).
  const queue = [...kept.values()];
  while (queue.length > 0) {
    const pkg = queue.pop()!;
    for (const depId of pkg.dependsOn ?? []) {
      if (kept.has(depId)) continue;
      const dep = byId.get(depId);
      if (!dep) continue;
      const ind: Package = { ...dep, relationship: 'indirect' };
      kept.set(depId, ind);
      queue.push(ind);
    }
  }

  // Trivy filters the root's and members' dependencies against what it has kept so far, in Go
  // map order (so a member may or may not be listed); we keep members deterministically.
  const roles = new Set([root.pkgId, ...workspaces]);
  for (const [id, pkg] of byId) {
    let relationship: Package['relationship'];
    if (id === root.pkgId) relationship = 'root';
    else if (workspaces.includes(id)) relationship = 'workspace';
    else continue;
    // The lock lists dev dependencies of the root and members too: drop those.
    const p: Package = { ...pkg, relationship };
    const deps = (pkg.dependsOn ?? []).filter((d) => kept.has(d) || roles.has(d));
    if (deps.length > 0) p.dependsOn = deps;
    else delete p.dependsOn;
    kept.set(id, p);
  }

  // A virtual workspace root has no lock entry: Trivy adds it (without a name) depending on the members.
  if (!kept.has(root.pkgId)) {
    const p: Package = { id: root.pkgId, name: '', version: '', relationship: 'root' };
    if (workspaces.length > 0) p.dependsOn = [...workspaces].sort();
    kept.set(root.pkgId, p);
  }
  return { packages: [...kept.values()], warnings };
}
