/**
 * poetry.lock, as Trivy's poetry parser and analyzer read it.
 *
 * Every `[[package]]` is a package (old lockfiles' `category = "dev"` marks
 * it dev). dependsOn resolves each dependency's
 * PEP 440 range against the locked versions of that name.
 * The pyproject.toml beside the lockfile (group mode) tells direct
 * dependencies (`[tool.poetry.dependencies]`, its groups, and PEP 621
 * `[project] dependencies`) and production ones: a package not reachable
 * from the main dependencies is `dev` (Trivy's report leaves those out unless
 * asked). Without a pyproject.toml, relationships stay unknown.
 */
import type { Package, PackageSet } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import { parseOrWarn } from '../lib/file-analyzer.js';
import { sortPackages } from '../lib/package-order.js';
import { normalizePythonName, requirementName } from '../lib/python.js';
import { parsePep440, parsePep440Specifier, satisfiesPep440 } from '../lib/python-pep440.js';
import { loadToml, tomlArray, tomlString, tomlTable } from '../lib/toml-load.js';

function packageId(name: string, version: string): string {
  return version ? `${name}@${version}` : name;
}

function matchVersion(version: string, range: string): boolean {
  const v = parsePep440(version);
  const spec = parsePep440Specifier(range);
  return v !== undefined && spec !== undefined && satisfiesPep440(v, spec);
}

/** Parses poetry.lock text; throws TomlLoadError (with a line) for malformed TOML. */
export function parsePoetryLock(text: string): Package[] {
  const lock = loadToml(text);
  const entries = tomlArray(lock['package']).map(tomlTable);
  const versions = new Map<string, string[]>();
  for (const p of entries) {
    const name = tomlString(p['name']);
    versions.set(name, [...(versions.get(name) ?? []), tomlString(p['version'])]);
  }
  const out: Package[] = [];
  for (const p of entries) {
    const name = tomlString(p['name']);
    const version = tomlString(p['version']);
    const pkg: Package = { id: packageId(name, version), name, version };
    // Lockfiles written by Poetry < 1.5 say which packages only development needs.
    if (tomlString(p['category']) === 'dev') pkg.dev = true;
    const dependsOn: string[] = [];
    for (const [rawName, range] of Object.entries(tomlTable(p['dependencies']))) {
      const depName = normalizePythonName(rawName);
      const vRange = typeof range === 'string' ? range : tomlString(tomlTable(range)['version']);
      const match = (versions.get(depName) ?? []).find((v) => matchVersion(v, vRange));
      if (match !== undefined) dependsOn.push(packageId(depName, match));
    }
    if (dependsOn.length > 0) pkg.dependsOn = [...new Set(dependsOn)];
    out.push(pkg);
  }
  return out;
}

interface PyProject {
  main: Set<string>;
  groups: Set<string>;
}

/** Direct dependency names (normalized) from pyproject.toml: main ones and those of poetry groups. */
export function parsePyProject(text: string): PyProject {
  const doc = loadToml(text);
  const poetry = tomlTable(tomlTable(doc['tool'])['poetry']);
  const main = new Set(Object.keys(tomlTable(poetry['dependencies'])).map((n) => normalizePythonName(n)));
  for (const req of tomlArray(tomlTable(doc['project'])['dependencies'])) {
    const n = requirementName(tomlString(req));
    if (n) main.add(normalizePythonName(n));
  }
  const groups = new Set<string>();
  for (const g of Object.values(tomlTable(poetry['group']))) {
    for (const n of Object.keys(tomlTable(tomlTable(g)['dependencies']))) groups.add(normalizePythonName(n));
  }
  return { main, groups };
}

/** Marks relationships and dev-ness from the project's direct dependencies. */
export function applyPyProject(pkgs: Package[], project: PyProject): Package[] {
  const byId = new Map(pkgs.map((p) => [p.id ?? '', p]));
  const prod = new Set<string>();
  const stack = pkgs.filter((p) => project.main.has(p.name)).map((p) => p.id ?? '');
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (prod.has(id)) continue;
    prod.add(id);
    for (const d of byId.get(id)?.dependsOn ?? []) if (!prod.has(d)) stack.push(d);
  }
  return pkgs.map((p) => ({
    ...p,
    dev: !prod.has(p.id ?? '') || (p.dev ?? false),
    relationship: project.main.has(p.name) || project.groups.has(p.name) ? 'direct' : 'indirect',
  }));
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const sets: PackageSet[] = [];
  for (const f of files) {
    if (baseName(f.path) !== 'poetry.lock') continue;
    let pkgs = parseOrWarn(ctx, f.path, 'poetry.lock', () => parsePoetryLock(decodeText(f.content)));
    if (!pkgs) continue;
    const dir = dirName(f.path);
    const projectPath = dir ? `${dir}/pyproject.toml` : 'pyproject.toml';
    const projectFile = files.find((x) => x.path === projectPath);
    if (projectFile) {
      const project = parseOrWarn(ctx, projectPath, 'pyproject.toml', () =>
        parsePyProject(decodeText(projectFile.content)),
      );
      if (project) pkgs = applyPyProject(pkgs, project);
    }
    if (pkgs.length > 0)
      sets.push({ class: 'lang-pkgs', type: 'poetry', filePath: f.path, packages: sortPackages(pkgs) });
  }
  return sets.length > 0 ? { packageSets: sets } : {};
}

export const analyzer: Analyzer = {
  name: 'lang/poetry-lock',
  version: 1,
  targets: ['fs'],
  mode: 'group',
  required(path) {
    const b = baseName(path);
    return b === 'poetry.lock' || b === 'pyproject.toml';
  },
  analyze,
};
