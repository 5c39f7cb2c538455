/**
 * .NET `*.deps.json` (Trivy: fanal analyzer `dotnet-core`, parser
 * dotnet/core_deps): the runtime dependencies of a built .NET application,
 * found in images (the app's own file, and each shared framework's
 * Microsoft.NETCore.App.deps.json) and in source trees. Trivy reads it in every
 * kind of scan.
 */
import { sortPackages } from '../lib/package-order.js';
import { parseDepsJson } from '../lib/dotnet.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'lang/dotnet-deps',
  version: 1,
  targets: ['image', 'rootfs', 'fs'],
  mode: 'file',
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    return path.endsWith('.deps.json');
  },
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    const packageSets = [];
    for (const f of files) {
      const res = parseDepsJson(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn('DOTNET_DEPS_MALFORMED', `not a readable .deps.json: ${res.message}`, {
          file: f.path,
          ...(res.line !== undefined ? { line: res.line } : {}),
        });
        continue;
      }
      for (const w of res.warnings)
        ctx.diagnostics.add({
          code: 'DOTNET_DEPS_INCOMPLETE',
          severity: 'info',
          message: w,
          location: { file: f.path },
        });
      if (res.packages.length === 0) continue;
      packageSets.push({
        class: 'lang-pkgs' as const,
        type: 'dotnet-core',
        filePath: f.path,
        packages: sortPackages(res.packages),
      });
    }
    return { packageSets };
  },
};
