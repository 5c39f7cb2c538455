/**
 * pdm.lock (PDM). Trivy has no pdm parser, so this follows the lockfile's own
 * meaning and osv-scanner's reading of it: every `[[package]]` is a package;
 * one that is not in the `default` group but in the `dev` group is a
 * development dependency; dependsOn resolves each PEP 508 requirement to the
 * locked package of that (normalized) name.
 */
import type { Package } from '@palisade/api';
import { lockfileAnalyzer } from '../lib/file-analyzer.js';
import { sortPackages } from '../lib/package-order.js';
import { normalizePythonName, requirementName } from '../lib/python.js';
import { loadToml, tomlArray, tomlString, tomlTable } from '../lib/toml-load.js';

/** Parses pdm.lock text; throws TomlLoadError (with a line) for malformed TOML. */
export function parsePdmLock(text: string): Package[] {
  const lock = loadToml(text);
  const entries = tomlArray(lock['package']).map(tomlTable);
  const byName = new Map<string, string>();
  for (const e of entries) {
    const name = tomlString(e['name']);
    byName.set(normalizePythonName(name), `${name}@${tomlString(e['version'])}`);
  }
  const out: Package[] = [];
  for (const e of entries) {
    const name = tomlString(e['name']);
    if (name === '') continue;
    const version = tomlString(e['version']);
    const groups = tomlArray(e['groups']).map(tomlString);
    const pkg: Package = { id: version ? `${name}@${version}` : name, name, version };
    if (!groups.includes('default') && groups.includes('dev')) pkg.dev = true;
    const deps = tomlArray(e['dependencies'])
      .map((d) => byName.get(normalizePythonName(requirementName(tomlString(d)))))
      .filter((d): d is string => d !== undefined);
    if (deps.length > 0) pkg.dependsOn = [...new Set(deps)];
    out.push(pkg);
  }
  return sortPackages(out);
}

export const analyzer = lockfileAnalyzer({
  name: 'lang/pdm-lock',
  version: 1,
  fileName: 'pdm.lock',
  type: 'pdm',
  parse: parsePdmLock,
});
