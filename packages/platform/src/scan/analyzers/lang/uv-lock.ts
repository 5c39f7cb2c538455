/**
 * uv.lock, as Trivy's uv parser reads it. The lockfile names its root
 * project (source `editable = "."` or `virtual = "."`); exactly one root is
 * required, as in Trivy. Direct dependencies are the root's dependencies,
 * optional dependencies and dependency groups; a package not reachable from
 * the root's non-development dependencies is `dev`.
 */
import type { Package, Relationship } from '@palisade/api';
import { lockfileAnalyzer } from '../lib/file-analyzer.js';
import { sortPackages } from '../lib/package-order.js';
import { loadToml, tomlArray, tomlString, tomlTable } from '../lib/toml-load.js';

interface UvPackage {
  name: string;
  version: string;
  root: boolean;
  deps: string[];
  optional: string[];
  dev: string[];
}

function names(v: unknown): string[] {
  return tomlArray(v)
    .map((d) => tomlString(tomlTable(d)['name']))
    .filter((n) => n !== '');
}

function groupNames(v: unknown): string[] {
  return Object.values(tomlTable(v)).flatMap(names);
}

export class UvLockError extends Error {}

/** Parses uv.lock text; throws TomlLoadError (syntax, with a line) or UvLockError (no single root). */
export function parseUvLock(text: string): Package[] {
  const lock = loadToml(text);
  const entries: UvPackage[] = tomlArray(lock['package']).map((raw) => {
    const p = tomlTable(raw);
    const source = tomlTable(p['source']);
    return {
      name: tomlString(p['name']),
      version: tomlString(p['version']),
      root: tomlString(source['editable']) === '.' || tomlString(source['virtual']) === '.',
      deps: names(p['dependencies']),
      optional: groupNames(p['optional-dependencies']),
      dev: groupNames(p['dev-dependencies']),
    };
  });
  const roots = entries.filter((e) => e.root);
  const root = roots[0];
  if (roots.length !== 1 || !root)
    throw new UvLockError(`uv lockfile must contain 1 root package, found ${roots.length}`);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const direct = new Set([...root.deps, ...root.optional, ...root.dev]);

  // Production: reachable from the root through non-development dependencies.
  const prod = new Set<string>();
  const stack = [root.name];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (prod.has(name)) continue;
    prod.add(name);
    const e = byName.get(name);
    for (const d of [...(e?.deps ?? []), ...(e?.optional ?? [])])
      if (byName.has(d) && !prod.has(d)) stack.push(d);
  }

  return sortPackages(
    entries.map((e) => {
      const relationship: Relationship = e.root ? 'root' : direct.has(e.name) ? 'direct' : 'indirect';
      const pkg: Package = {
        id: `${e.name}@${e.version}`,
        name: e.name,
        version: e.version,
        relationship,
        dev: !prod.has(e.name),
      };
      const dependsOn = [...new Set([...e.deps, ...e.optional, ...e.dev])]
        .map((d) => byName.get(d))
        .filter((d): d is UvPackage => d !== undefined)
        .map((d) => `${d.name}@${d.version}`);
      if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
      return pkg;
    }),
  );
}

export const analyzer = lockfileAnalyzer({
  name: 'lang/uv-lock',
  version: 1,
  fileName: 'uv.lock',
  type: 'uv',
  parse: parseUvLock,
  errorCode: (err) => (err instanceof UvLockError ? 'UV_LOCK_ROOT' : 'PARSE_ERROR'),
});
