/**
 * NuGet manifests as Trivy reads them (pkg/dependency/parser/nuget):
 * packages.lock.json (lock), packages.config (config) and
 * Directory.Packages.props / Packages.props (packagesprops).
 * Each parser returns packages or a located error; none throws.
 */
import type { Package } from '@palisade/api';
import type { ParsedPackages } from './file-analyzer.js';
import { isJsonObject, objectField, parseJsonObjectLocated, stringField } from './json-located.js';
import { uniquePackages } from './package-order.js';
import { attributeXmlParser, loadXml, xmlAttr, xmlChildren } from './xml-load.js';

/** Trivy's NuGet package id: `name@version` (the name alone without a version). */
export function nugetId(name: string, version: string): string {
  return version === '' ? name : `${name}@${version}`;
}

/**
 * packages.lock.json: every package of every target framework except the
 * project itself (type `Project`); `Direct` ones are direct dependencies, the
 * rest (Transitive, CentralTransitive) indirect. dependsOn resolves each
 * dependency name to the version resolved in the same target.
 */
export function parseNugetLock(text: string): ParsedPackages {
  const parsed = parseJsonObjectLocated(text);
  if (!parsed.ok) return parsed;
  const { root, located } = parsed;
  const targets = objectField(root, 'dependencies');
  const pkgs: Package[] = [];
  if (!targets) return { ok: true, packages: [] };
  for (const target of Object.values(targets)) {
    if (!isJsonObject(target)) continue;
    for (const [name, entry] of Object.entries(target)) {
      if (!isJsonObject(entry)) continue;
      const type = stringField(entry, 'type') ?? '';
      if (type === 'Project') continue;
      const version = stringField(entry, 'resolved') ?? '';
      const pkg: Package = {
        id: nugetId(name, version),
        name,
        version,
        relationship: type === 'Direct' ? 'direct' : 'indirect',
      };
      const range = located.rangeOf(entry);
      if (range) pkg.locations = [range];
      const deps = objectField(entry, 'dependencies');
      if (deps) {
        const dependsOn = Object.keys(deps).map((dep) => {
          const resolved = target[dep];
          return nugetId(dep, isJsonObject(resolved) ? (stringField(resolved, 'resolved') ?? '') : '');
        });
        if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
      }
      pkgs.push(pkg);
    }
  }
  return { ok: true, packages: uniquePackages(pkgs, { mergeDependsOn: true }) };
}

const nugetXml = attributeXmlParser(['package', 'ItemGroup', 'PackageReference', 'PackageVersion']);

/** Go's strconv.ParseBool for the true values (what encoding/xml accepts for a bool attribute). */
function goTrue(s: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s);
}

/** packages.config: `<packages><package id version developmentDependency/>`; development dependencies are skipped. */
export function parseNugetConfig(text: string): ParsedPackages {
  const parsed = loadXml(text, nugetXml());
  if (!parsed.ok) return parsed;
  const root = parsed.doc['packages'];
  if (root === undefined) return { ok: false, message: 'expected element <packages>' };
  const pkgs: Package[] = [];
  for (const p of xmlChildren(root, 'package')) {
    const name = xmlAttr(p, 'id');
    const version = xmlAttr(p, 'version');
    if (name === '' || goTrue(xmlAttr(p, 'developmentDependency'))) continue;
    pkgs.push({ id: nugetId(name, version), name, version });
  }
  return { ok: true, packages: uniquePackages(pkgs, { mergeDependsOn: true }) };
}

/**
 * *Packages.props: `PackageReference` and `PackageVersion` items of every
 * `<ItemGroup>` under `<Project>`; the name is `Include` (or the legacy
 * `Update`), both trimmed; entries without a name or version, or using an
 * MSBuild `$(variable)`, are skipped (nothing here says what it expands to).
 */
export function parsePackagesProps(text: string): ParsedPackages {
  const parsed = loadXml(text, nugetXml());
  if (!parsed.ok) return parsed;
  const project = parsed.doc['Project'];
  if (project === undefined) return { ok: false, message: 'expected element <Project>' };
  const isVariable = (s: string): boolean => s.startsWith('$(') && s.endsWith(')');
  const pkgs: Package[] = [];
  for (const group of xmlChildren(project, 'ItemGroup')) {
    for (const item of [...xmlChildren(group, 'PackageReference'), ...xmlChildren(group, 'PackageVersion')]) {
      const name = (xmlAttr(item, 'Include') || xmlAttr(item, 'Update')).trim();
      const version = xmlAttr(item, 'Version').trim();
      if (name === '' || version === '' || isVariable(name) || isVariable(version)) continue;
      pkgs.push({ id: nugetId(name, version), name, version });
    }
  }
  return { ok: true, packages: uniquePackages(pkgs, { mergeDependsOn: true }) };
}
