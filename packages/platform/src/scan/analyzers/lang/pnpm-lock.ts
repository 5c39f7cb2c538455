/**
 * pnpm-lock.yaml (lockfile v5, v6 and v9), as Trivy's pnpm parser reads it.
 *
 * - v5/v6: `packages` keyed by dependency path (`/name/1.0.0`, `/name@1.0.0(peer@2)`);
 *   dev packages (`dev: true`) are left out; direct = listed in the root `dependencies`.
 * - v9: one package per `snapshots` key, whose id keeps the peer suffix
 *   (`debug@4.3.4(supports-color@8.1.1)`) so the same version resolved with
 *   different peers stays distinct; the version comes from `packages` when the
 *   key holds a URL or path. Direct = listed by an importer; dev = reachable
 *   only from development dependencies.
 * A stream with several YAML documents (pnpm ≥ 11 writes its own environment
 * lockfile first) is read from its last document.
 * Licenses come from node_modules/**\/package.json beside the lockfile.
 */
import type { Package } from '@palisade/api';
import type * as Semver from 'semver';
import { lazy } from '../../../core/lazy.js';

const semver = lazy<typeof Semver>('semver');
import { nodeLockfileAnalyzer, npmPackageId } from '../lib/npm.js';
import { sortPackages } from '../lib/package-order.js';
import { isYamlMap, loadYamlDocuments } from '../lib/yaml-load.js';

type Map_ = Record<string, unknown>;

function mapOf(v: unknown): Map_ {
  return isYamlMap(v) ? v : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** name → version strings, for `dependencies: {a: 1.0.0}` maps. */
function stringEntries(v: unknown): [string, string][] {
  return Object.entries(mapOf(v))
    .map(([k, x]): [string, string] => [k, str(x)])
    .filter(([, x]) => x !== '');
}

function lockfileVersion(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number.parseFloat(v);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function trimPeerDeps(version: string, lockVer: number): string {
  const i = version.indexOf(lockVer < 6 ? '_' : '(');
  return i < 0 ? version : version.slice(0, i);
}

interface KeyParts {
  name: string;
  version: string;
}

/** Name and version (without peers) of a package or snapshot key. */
function parseKey(key: string, lockVer: number): KeyParts {
  let rest = key;
  if (lockVer < 9) {
    // Trim the registry (or the leading `/`).
    const i = rest.indexOf('/');
    rest = i < 0 ? '' : rest.slice(i + 1);
  }
  let scope = '';
  if (rest.startsWith('@')) {
    const i = rest.indexOf('/');
    scope = i < 0 ? rest : rest.slice(0, i);
    rest = i < 0 ? '' : rest.slice(i + 1);
  }
  const sep = lockVer < 6 ? '/' : '@';
  const j = rest.indexOf(sep);
  let name = j < 0 ? rest : rest.slice(0, j);
  const version = j < 0 ? '' : rest.slice(j + 1);
  if (scope) name = `${scope}/${name}`;
  return { name, version: trimPeerDeps(version, lockVer) };
}

/** Versions that are not semver (file paths, URLs) become empty, as in Trivy. */
function cleanVersion(ver: string, lockVer: number): string {
  if (lockVer < 9 && (ver.startsWith('file:') || ver.startsWith('http'))) return '';
  return semver().valid(ver) !== null ? ver : '';
}

function parseV5V6(lock: Map_, lockVer: number): Package[] {
  const direct = new Set(Object.keys(mapOf(lock['dependencies'])));
  const out: Package[] = [];
  for (const [key, raw] of Object.entries(mapOf(lock['packages']))) {
    const info = mapOf(raw);
    if (info['dev'] === 'true' || info['dev'] === true) continue;
    let name = str(info['name']);
    let version = str(info['version']);
    if (name === '') {
      const k = parseKey(key, lockVer);
      name = k.name;
      version = cleanVersion(k.version, lockVer);
    }
    const pkg: Package = {
      id: npmPackageId(name, version),
      name,
      version,
      relationship: direct.has(name) ? 'direct' : 'indirect',
    };
    // Peers trimmed so the ids name listed packages (Trivy keeps `4.3.4(peer@1)`, an id no package has).
    const deps = stringEntries(info['dependencies']).map(([n, v]) =>
      npmPackageId(n, trimPeerDeps(v, lockVer)),
    );
    if (deps.length > 0) pkg.dependsOn = [...new Set(deps)];
    out.push(pkg);
  }
  return out;
}

function parseV9(lock: Map_): Package[] {
  const lockVer = 9;
  const packages = mapOf(lock['packages']);
  const devDeps = new Map<string, Set<string>>();
  const prodDeps = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, n: string, v: string): void => {
    let s = m.get(n);
    if (!s) m.set(n, (s = new Set()));
    s.add(trimPeerDeps(v, lockVer));
  };
  for (const importer of Object.values(mapOf(lock['importers']))) {
    const imp = mapOf(importer);
    for (const [n, d] of Object.entries(mapOf(imp['devDependencies'])))
      add(devDeps, n, str(mapOf(d)['version']));
    for (const [n, d] of Object.entries(mapOf(imp['dependencies'])))
      add(prodDeps, n, str(mapOf(d)['version']));
    for (const [n, d] of Object.entries(mapOf(imp['optionalDependencies'])))
      add(prodDeps, n, str(mapOf(d)['version']));
  }

  const pkgs = new Map<string, Package>();
  for (const [snapshotKey, raw] of Object.entries(mapOf(lock['snapshots']))) {
    const snapshot = mapOf(raw);
    const { name, version } = parseKey(snapshotKey, lockVer);
    let parsedVer = cleanVersion(version, lockVer);
    const info = mapOf(packages[npmPackageId(name, version)]);
    if (str(info['version']) !== '') parsedVer = str(info['version']);
    let dev = true;
    let relationship: 'direct' | 'indirect' = 'indirect';
    if (devDeps.get(name)?.has(version)) relationship = 'direct';
    if (prodDeps.get(name)?.has(version)) {
      relationship = 'direct';
      dev = false;
    }
    const pkg: Package = { id: snapshotKey, name, version: parsedVer, relationship, dev };
    const deps = new Map([
      ...stringEntries(snapshot['optionalDependencies']),
      ...stringEntries(snapshot['dependencies']),
    ]);
    const dependsOn: string[] = [];
    for (const [depName, depVer] of deps) {
      // Only dependencies that are installed (listed in `packages`).
      if (packages[npmPackageId(depName, trimPeerDeps(depVer, lockVer))] !== undefined)
        dependsOn.push(npmPackageId(depName, depVer));
    }
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
    pkgs.set(snapshotKey, pkg);
  }

  // Everything reachable from a production package is production too.
  const stack = [...pkgs.values()].filter((p) => !p.dev).map((p) => p.id ?? '');
  const visited = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (visited.has(id)) continue;
    const p = pkgs.get(id);
    if (!p) continue;
    visited.add(id);
    p.dev = false;
    for (const d of p.dependsOn ?? []) if (!visited.has(d)) stack.push(d);
  }
  return [...pkgs.values()];
}

export interface PnpmLockResult {
  packages: Package[];
  warnings: string[];
}

/** Parses pnpm-lock.yaml text; throws YamlLoadError (with a line) for malformed YAML. */
export function parsePnpmLock(text: string): PnpmLockResult {
  const docs = loadYamlDocuments(text, { schema: 'failsafe' });
  const lock = mapOf(docs[docs.length - 1]);
  if (docs.length === 0 || Object.keys(lock).length === 0) return { packages: [], warnings: [] };
  const lockVer = lockfileVersion(lock['lockfileVersion']);
  if (lockVer === undefined)
    return { packages: [], warnings: [`unknown lockfileVersion ${JSON.stringify(lock['lockfileVersion'])}`] };
  const packages = lockVer >= 9 ? parseV9(lock) : parseV5V6(lock, lockVer);
  return { packages: sortPackages(packages), warnings: [] };
}

export const analyzer = nodeLockfileAnalyzer({
  name: 'lang/pnpm-lock',
  version: 1,
  fileName: 'pnpm-lock.yaml',
  type: 'pnpm',
  parse: parsePnpmLock,
  warningCode: 'PNPM_LOCK',
  // v9 ids are snapshot keys (with peers): look licenses up by name@version.
  licenseKey: (p) => npmPackageId(p.name, p.version),
});
