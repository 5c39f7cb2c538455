/**
 * NuGet packages.config (Trivy: fanal analyzer `nuget`, parser nuget/config):
 * names and versions only, development dependencies skipped. Trivy reads it
 * in every kind of scan. (Trivy also looks licenses up in the host's
 * ~/.nuget/packages *.nuspec files; an analyzer never reads the host, so we do not.)
 */
import { sortPackages } from '../lib/package-order.js';
import { parseNugetConfig } from '../lib/nuget.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'lang/nuget-config',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  mode: 'file',
  maxFileSize: 16 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'packages.config';
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const res = parseNugetConfig(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn('NUGET_CONFIG_MALFORMED', `not a readable packages.config: ${res.message}`, {
          file: f.path,
          ...(res.line !== undefined ? { line: res.line } : {}),
        });
        continue;
      }
      if (res.packages.length === 0) continue;
      packageSets.push({
        class: 'lang-pkgs' as const,
        type: 'nuget',
        filePath: f.path,
        packages: sortPackages(res.packages),
      });
    }
    return { packageSets };
  },
};
