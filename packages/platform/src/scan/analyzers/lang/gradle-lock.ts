/**
 * Gradle dependency locks, `*gradle.lockfile` (Trivy: fanal analyzer
 * `gradle-lockfile`, parser gradle/lockfile): one `group:artifact:version=configurations`
 * per line; comments and the trailing `empty=` line skipped; the line is the
 * package's location. Source trees only, as Trivy. (Trivy also reads licenses
 * and the dependency graph from the POMs in the host's ~/.gradle cache; an
 * analyzer never reads the host, so we do not.)
 */
import type { Package } from '@palisade/api';
import { sortPackages, uniquePackages } from '../lib/package-order.js';
import { mavenPackageId } from '../lib/java.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

export function parseGradleLock(text: string): Package[] {
  const pkgs: Package[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#')) return;
    const parts = line.split(':');
    if (parts.length !== 3) return;
    const name = `${parts[0] ?? ''}:${parts[1] ?? ''}`;
    const version = (parts[2] ?? '').split('=')[0] ?? '';
    pkgs.push({
      id: mavenPackageId(name, version),
      name,
      version,
      relationship: 'unknown',
      locations: [{ startLine: i + 1, endLine: i + 1 }],
    });
  });
  return uniquePackages(pkgs);
}

export const analyzer: Analyzer = {
  name: 'lang/gradle-lock',
  version: 1,
  targets: ['fs'],
  mode: 'file',
  maxFileSize: 32 * 1024 * 1024,
  required(path) {
    return path.endsWith('gradle.lockfile');
  },
  analyze(files: readonly AnalyzerFile[], _ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const packages = parseGradleLock(decodeText(f.content));
      if (packages.length === 0) continue;
      packageSets.push({
        class: 'lang-pkgs' as const,
        type: 'gradle',
        filePath: f.path,
        packages: sortPackages(packages),
      });
    }
    return { packageSets };
  },
};
