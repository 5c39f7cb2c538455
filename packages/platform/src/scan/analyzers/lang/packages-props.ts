/**
 * MSBuild central package management: Directory.Packages.props and the
 * legacy Packages.props (Trivy: fanal analyzer `packages-props`): any path
 * ending in `packages.props`, case-insensitively, as Trivy matches it. Trivy
 * reads it in every kind of scan.
 */
import { sortPackages } from '../lib/package-order.js';
import { parsePackagesProps } from '../lib/nuget.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'lang/packages-props',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  mode: 'file',
  maxFileSize: 16 * 1024 * 1024,
  required(path) {
    return path.toLowerCase().endsWith('packages.props');
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const res = parsePackagesProps(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn(
          'PACKAGES_PROPS_MALFORMED',
          `not a readable *Packages.props file: ${res.message}`,
          {
            file: f.path,
            ...(res.line !== undefined ? { line: res.line } : {}),
          },
        );
        continue;
      }
      if (res.packages.length === 0) continue;
      packageSets.push({
        class: 'lang-pkgs' as const,
        type: 'packages-props',
        filePath: f.path,
        packages: sortPackages(res.packages),
      });
    }
    return { packageSets };
  },
};
