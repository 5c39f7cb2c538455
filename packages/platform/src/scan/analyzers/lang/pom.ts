/**
 * Maven pom.xml (Trivy: fanal analyzer `pom`, parser java/pom). Each pom.xml
 * gives one set: the project (root), its modules (workspace) and their direct
 * dependencies (compile and runtime scope, not optional), with versions
 * resolved from properties, dependencyManagement and parents found in the same
 * tree (relativePath, then ../pom.xml).
 *
 * Divergence from Trivy, deliberate: Trivy resolves parents, imported BOMs and
 * transitive dependencies from ~/.m2 and Maven Central. We are offline and read
 * only the scanned tree, so no indirect dependencies are listed and versions
 * only a remote POM would give stay empty (Trivy's --offline-scan does the
 * same). Each such gap is reported as an info diagnostic.
 *
 * Group mode: every pom.xml of the tree is needed to find parents and modules.
 */
import type { Package, PackageSet } from '@palisade/api';
import { sortPackages } from '../lib/package-order.js';
import { parsePom, PomResolver } from '../lib/java-pom.js';
import type { PomModel } from '../lib/java-pom.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';

/** `**\/(src|target)/it/*\/pom.xml`: maven-invoker-plugin integration tests, marked dev as Trivy does. */
function isIntegrationTestPom(path: string): boolean {
  const dirs = path.split('/');
  if (dirs.length < 4) return false;
  const d4 = dirs[dirs.length - 4];
  return (d4 === 'src' || d4 === 'target') && dirs[dirs.length - 3] === 'it';
}

/** Same package listed twice with the same relationship (a dependency shared by modules): keep one. */
function uniqueByIdAndRelationship(pkgs: Package[]): Package[] {
  const seen = new Map<string, Package>();
  const out: Package[] = [];
  for (const p of pkgs) {
    const key = `${p.id ?? p.name}\u0000${p.relationship ?? ''}`;
    const prev = seen.get(key);
    if (!prev) {
      seen.set(key, p);
      out.push(p);
      continue;
    }
    if (p.locations) prev.locations = [...(prev.locations ?? []), ...p.locations];
    if (p.dependsOn) prev.dependsOn = [...new Set([...(prev.dependsOn ?? []), ...p.dependsOn])];
  }
  return out;
}

export const analyzer: Analyzer = {
  name: 'lang/pom',
  version: 1,
  targets: ['fs'],
  mode: 'group',
  maxFileSize: 16 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'pom.xml';
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const models = new Map<string, PomModel>();
    for (const f of files) {
      const parsed = parsePom(decodeText(f.content));
      if (parsed.ok) models.set(f.path, parsed.model);
      else {
        ctx.diagnostics.warn(
          'POM_MALFORMED',
          `not a readable POM: ${parsed.message}`,
          parsed.line !== undefined ? { file: f.path, line: parsed.line } : { file: f.path },
        );
      }
    }
    const resolver = new PomResolver({ get: (p) => models.get(p) });
    const packageSets: PackageSet[] = [];
    for (const f of files) {
      if (!models.has(f.path)) continue;
      if (ctx.signal?.aborted) break;
      const pkgs = uniqueByIdAndRelationship(resolver.resolve(f.path));
      if (pkgs.length === 0) continue;
      if (isIntegrationTestPom(f.path)) for (const p of pkgs) p.dev = true;
      packageSets.push({ class: 'lang-pkgs', type: 'pom', filePath: f.path, packages: sortPackages(pkgs) });
    }
    const seen = new Set<string>();
    for (const n of resolver.notes) {
      const key = `${n.code}\u0000${n.file}\u0000${n.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ctx.diagnostics.add({ code: n.code, severity: 'info', message: n.message, location: { file: n.file } });
    }
    return { packageSets };
  },
};
