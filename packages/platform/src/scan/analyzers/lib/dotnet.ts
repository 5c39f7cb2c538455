/**
 * .NET `*.deps.json` (Trivy: parser dotnet/core_deps), as Trivy v0.74 reads it:
 * - libraries of type `package`, `project` and `runtimepack` (a self-contained
 *   app's bundled runtime, its `runtimepack.` prefix removed so that it matches
 *   advisories for `Microsoft.NETCore.App.Runtime.<rid>`);
 * - only libraries with runtime assets in the runtime target
 *   (`runtime`, `native` or `runtimeTargets`): the others are never loaded;
 * - the root is the project no other target entry depends on (the first by
 *   name when that is not exactly one); the root's dependencies are direct,
 *   every other library indirect; dependsOn from the target's graph;
 * - ids `name/version` (Trivy's separator for dotnet-core).
 * When the runtime target is missing, every library is kept and, without a
 * graph, relationships other than the root's are unknown.
 */
import type { Package, Relationship } from '@palisade/api';
import type { ParseFailure } from './file-analyzer.js';
import { isJsonObject, objectField, parseJsonObjectLocated, stringField } from './json-located.js';
import type { JsonObject } from './json-located.js';

export type DepsJsonResult = { ok: true; packages: Package[]; warnings: string[] } | ParseFailure;

const RUNTIMEPACK_PREFIX = 'runtimepack.';
const KEPT_TYPES = new Set(['package', 'project', 'runtimepack']);

export function dotnetId(name: string, version: string): string {
  return version === '' ? name : `${name}/${version}`;
}

function stripRuntimePack(name: string): string {
  return name.startsWith(RUNTIMEPACK_PREFIX) ? name.slice(RUNTIMEPACK_PREFIX.length) : name;
}

function nonEmptyObject(v: JsonObject | undefined): boolean {
  return v !== undefined && Object.keys(v).length > 0;
}

function isRuntimeLibrary(entry: JsonObject): boolean {
  return (
    nonEmptyObject(objectField(entry, 'runtime')) ||
    nonEmptyObject(objectField(entry, 'native')) ||
    nonEmptyObject(objectField(entry, 'runtimeTargets'))
  );
}

export function parseDepsJson(text: string): DepsJsonResult {
  const parsed = parseJsonObjectLocated(text);
  if (!parsed.ok) return parsed;
  const { root, located } = parsed;
  const warnings: string[] = [];
  const libraries = objectField(root, 'libraries');
  if (!libraries) return { ok: true, packages: [], warnings };

  const runtimeTargetName = stringField(objectField(root, 'runtimeTarget') ?? {}, 'name') ?? '';
  const target = objectField(objectField(root, 'targets') ?? {}, runtimeTargetName);
  if (!target) {
    warnings.push(
      `runtime target "${runtimeTargetName}" is not in "targets": all libraries are listed, without a dependency graph`,
    );
  }

  interface Lib {
    key: string;
    name: string;
    version: string;
    type: string;
    entry: JsonObject;
  }
  const libs: Lib[] = [];
  for (const [key, lib] of Object.entries(libraries)) {
    if (!isJsonObject(lib)) continue;
    const type = (stringField(lib, 'type') ?? '').toLowerCase();
    if (!KEPT_TYPES.has(type)) continue;
    const parts = key.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      warnings.push(`cannot read a name and version from library "${key}"`);
      continue;
    }
    if (target) {
      const t = target[key];
      if (!isJsonObject(t) || !isRuntimeLibrary(t)) continue;
    }
    libs.push({ key, name: stripRuntimePack(parts[0]), version: parts[1], type, entry: lib });
  }

  // The target graph, by library key: which names each entry depends on.
  const dependsOnNames = new Map<string, Map<string, string>>();
  const dependedOn = new Set<string>();
  if (target) {
    for (const [key, t] of Object.entries(target)) {
      if (!isJsonObject(t)) continue;
      const deps = objectField(t, 'dependencies');
      const m = new Map<string, string>();
      for (const [n, v] of Object.entries(deps ?? {})) {
        if (typeof v !== 'string') continue;
        m.set(stripRuntimePack(n), v);
        dependedOn.add(stripRuntimePack(n));
      }
      dependsOnNames.set(key, m);
    }
  }

  const projects = libs
    .filter((l) => l.type === 'project')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const roots = projects.filter((p) => !dependedOn.has(p.name));
  const rootLib = roots.length === 1 ? roots[0] : projects[0];

  const byName = new Map<string, Lib>();
  for (const l of libs) if (!byName.has(l.name)) byName.set(l.name, l);
  const direct = new Set<string>();
  if (rootLib) for (const n of dependsOnNames.get(rootLib.key)?.keys() ?? []) direct.add(n);

  const packages: Package[] = [];
  for (const l of libs) {
    let relationship: Relationship;
    if (l === rootLib) relationship = 'root';
    else if (!target) relationship = 'unknown';
    else relationship = direct.has(l.name) ? 'direct' : 'indirect';
    const pkg: Package = { id: dotnetId(l.name, l.version), name: l.name, version: l.version, relationship };
    const range = located.rangeOf(l.entry);
    if (range) pkg.locations = [range];
    const deps: string[] = [];
    for (const [n, v] of dependsOnNames.get(l.key) ?? []) {
      const dep = byName.get(n);
      if (dep && dep.version === v) deps.push(dotnetId(dep.name, dep.version));
    }
    if (deps.length > 0) pkg.dependsOn = deps;
    packages.push(pkg);
  }
  return { ok: true, packages, warnings };
}
