/**
 * NuGet packages.lock.json (Trivy: fanal analyzer `nuget`, parser nuget/lock).
 * Trivy reads it in every kind of scan (image, rootfs, filesystem).
 */
import { sortPackages } from '../lib/package-order.js';
import { parseNugetLock } from '../lib/nuget.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'lang/nuget-lock',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  mode: 'file',
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'packages.lock.json';
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const res = parseNugetLock(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn('NUGET_LOCK_MALFORMED', `not a readable packages.lock.json: ${res.message}`, {
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
