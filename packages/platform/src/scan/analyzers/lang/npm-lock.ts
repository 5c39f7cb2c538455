/**
 * package-lock.json (npm lockfile v1, v2, v3), as Trivy's npm parser and
 * fanal npm analyzer read it:
 * - v1: the nested `dependencies` tree; relationship unknown (v1 cannot tell direct from transitive).
 * - v2/v3: the flat `packages` map keyed by install path. Workspace links
 *   (`"link": true`) are resolved so every package sits under node_modules;
 *   direct dependencies are the root entry's dependencies, optional, dev and
 *   peer dependencies (plus workspaces); dependsOn resolves each dependency by
 *   walking up the node_modules directories, as Node does.
 * Locations are the line ranges of each entry's object. Licenses come from the
 * entry's `license` field, else from node_modules/<name>/package.json beside
 * the lockfile (group mode: the analyzer receives both).
 */
import type { Package } from '@palisade/api';
import type { JsonObject, LocatedJson } from '../lib/json-located.js';
import { isJsonObject, objectField, parseJsonLocated, stringField, stringMap } from '../lib/json-located.js';
import { nodeLockfileAnalyzer, npmLicenses, npmPackageId, npmWorkspaces, pathMatch } from '../lib/npm.js';
import { sortPackages, uniquePackages } from '../lib/package-order.js';

const NODE_MODULES = 'node_modules';
/** v1 trees nest one level per dependency depth; anything deeper than this is hostile. */
const MAX_V1_DEPTH = 256;

export interface NpmLockResult {
  packages: Package[];
  /** Human-readable warnings (broken links, unresolved dependencies). */
  warnings: string[];
}

/** Parses a package-lock.json text. Throws JsonSyntaxError for malformed JSON. */
export function parseNpmLock(text: string): NpmLockResult {
  const doc = parseJsonLocated(text);
  const warnings: string[] = [];
  if (!isJsonObject(doc.value)) return { packages: [], warnings: ['package-lock.json is not a JSON object'] };
  const root = doc.value;
  const lockVersion = root['lockfileVersion'];
  let pkgs: Package[];
  if (lockVersion === 1 || (lockVersion === undefined && !objectField(root, 'packages'))) {
    pkgs = parseV1(objectField(root, 'dependencies') ?? {}, new Map(), doc, warnings, 0);
  } else {
    pkgs = parseV2(objectField(root, 'packages') ?? {}, doc, warnings);
  }
  return { packages: sortPackages(uniquePackages(pkgs)), warnings };
}

interface V2Entry {
  obj: JsonObject;
  name: string;
  version: string;
  resolved: string;
  dev: boolean;
  link: boolean;
}

function v2Entry(obj: JsonObject): V2Entry {
  return {
    obj,
    name: stringField(obj, 'name') ?? '',
    version: stringField(obj, 'version') ?? '',
    resolved: stringField(obj, 'resolved') ?? '',
    dev: obj['dev'] === true,
    link: obj['link'] === true,
  };
}

function pkgNameFromPath(pkgPath: string): string {
  const i = pkgPath.lastIndexOf(NODE_MODULES);
  return i >= 0 ? pkgPath.slice(i + NODE_MODULES.length + 1) : pkgPath;
}

function parseV2(packagesObj: JsonObject, doc: LocatedJson, warnings: string[]): Package[] {
  const packages = new Map<string, V2Entry>();
  for (const [path, v] of Object.entries(packagesObj)) if (isJsonObject(v)) packages.set(path, v2Entry(v));

  const rootObj = packages.get('')?.obj ?? {};
  const rootDeps = new Map<string, string>([
    ...stringMap(rootObj, 'dependencies'),
    ...stringMap(rootObj, 'optionalDependencies'),
    ...stringMap(rootObj, 'devDependencies'),
    ...stringMap(rootObj, 'peerDependencies'),
  ]);
  resolveLinks(packages, npmWorkspaces(rootObj['workspaces']), rootDeps, warnings);

  const directPaths = new Set<string>();
  for (const name of rootDeps.keys()) {
    const p = `${NODE_MODULES}/${name}`;
    if (packages.has(p)) directPaths.add(p);
  }

  const byId = new Map<string, Package>();
  for (const [pkgPath, e] of packages) {
    if (!pkgPath.startsWith(NODE_MODULES)) continue;
    const name = e.name || pkgNameFromPath(pkgPath);
    const id = npmPackageId(name, e.version);
    const indirect = !directPaths.has(pkgPath);
    const range = doc.rangeOf(e.obj);
    const saved = byId.get(id);
    if (saved) {
      saved.dev = (saved.dev ?? false) && e.dev;
      if (saved.relationship === 'indirect' && !indirect) saved.relationship = 'direct';
      if (range) {
        saved.locations = [...(saved.locations ?? []), { ...range }].sort(
          (a, b) => a.startLine - b.startLine || a.endLine - b.endLine,
        );
      }
      continue;
    }
    const pkg: Package = {
      id,
      name,
      version: e.version,
      relationship: indirect ? 'indirect' : 'direct',
      dev: e.dev,
    };
    const licenses = npmLicenses(e.obj);
    if (licenses.length > 0) pkg.licenses = licenses;
    if (range) pkg.locations = [{ ...range }];
    const deps = new Map<string, string>([
      ...stringMap(e.obj, 'dependencies'),
      ...stringMap(e.obj, 'optionalDependencies'),
      ...stringMap(e.obj, 'peerDependencies'),
    ]);
    const dependsOn: string[] = [];
    for (const depName of deps.keys()) {
      const depId = findDependsOn(pkgPath, depName, packages);
      if (depId !== undefined) dependsOn.push(depId);
    }
    if (dependsOn.length > 0) pkg.dependsOn = [...new Set(dependsOn)];
    byId.set(id, pkg);
  }
  return [...byId.values()];
}

/**
 * Workspace packages live outside node_modules (`functions/func1`) and are
 * linked into it (`node_modules/function1 → functions/func1`). Move every
 * entry under a link target to the link's path; a workspace becomes a direct
 * dependency of the root.
 */
function resolveLinks(
  packages: Map<string, V2Entry>,
  workspaces: string[],
  rootDeps: Map<string, string>,
  warnings: string[],
): void {
  const links: [string, V2Entry][] = [];
  for (const [path, e] of packages) {
    if (!e.link) continue;
    if (e.resolved === '') {
      warnings.push(`${path}: link with an empty "resolved" field skipped`);
      packages.delete(path);
      continue;
    }
    links.push([path, e]);
  }
  if (links.length === 0) return;
  for (const [pkgPath, e] of [...packages]) {
    for (const [linkPath, link] of links) {
      if (!pkgPath.startsWith(link.resolved)) continue;
      const moved: V2Entry = e.resolved === '' ? { ...e, resolved: link.resolved } : e;
      const resolvedPath = pkgPath.split(link.resolved).join(linkPath);
      packages.delete(pkgPath);
      packages.set(resolvedPath, moved);
      if (workspaces.some((w) => pathMatch(w, pkgPath))) rootDeps.set(pkgNameFromPath(linkPath), e.version);
      break;
    }
  }
}

/** Node's resolution: the nearest node_modules/<dep> walking up from the package. */
function findDependsOn(pkgPath: string, depName: string, packages: Map<string, V2Entry>): string | undefined {
  const parts = `${pkgPath}/${NODE_MODULES}`.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i] !== NODE_MODULES) continue;
    const modulePath = `${parts.slice(0, i + 1).join('/')}/${depName}`;
    const dep = packages.get(modulePath);
    if (dep) return npmPackageId(depName, dep.version);
  }
  return undefined;
}

function parseV1(
  dependencies: JsonObject,
  parentVersions: Map<string, string>,
  doc: LocatedJson,
  warnings: string[],
  depth: number,
): Package[] {
  if (depth > MAX_V1_DEPTH) {
    warnings.push(`dependency tree deeper than ${MAX_V1_DEPTH} levels: the rest is skipped`);
    return [];
  }
  const versions = new Map(parentVersions);
  const entries: [string, JsonObject][] = [];
  for (const [name, v] of Object.entries(dependencies)) {
    if (!isJsonObject(v)) continue;
    entries.push([name, v]);
    versions.set(name, stringField(v, 'version') ?? '');
  }
  const out: Package[] = [];
  for (const [name, dep] of entries) {
    const version = stringField(dep, 'version') ?? '';
    const pkg: Package = {
      id: npmPackageId(name, version),
      name,
      version,
      relationship: 'unknown',
      dev: dep['dev'] === true,
    };
    const range = doc.rangeOf(dep);
    if (range) pkg.locations = [{ ...range }];
    const nested = objectField(dep, 'dependencies');
    const dependsOn: string[] = [];
    for (const [reqName, reqVersion] of stringMap(dep, 'requires')) {
      const n = nested ? nested[reqName] : undefined;
      if (isJsonObject(n)) {
        dependsOn.push(npmPackageId(reqName, stringField(n, 'version') ?? ''));
        continue;
      }
      const v = versions.get(reqName);
      if (v !== undefined) dependsOn.push(npmPackageId(reqName, v));
      else warnings.push(`${name}: unable to resolve the version of ${reqName}@${reqVersion}`);
    }
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
    out.push(pkg);
    if (nested) out.push(...parseV1(nested, versions, doc, warnings, depth + 1));
  }
  return out;
}

export const analyzer = nodeLockfileAnalyzer({
  name: 'lang/npm-lock',
  version: 1,
  fileName: 'package-lock.json',
  type: 'npm',
  parse: parseNpmLock,
  warningCode: 'NPM_LOCK_ENTRY',
});
