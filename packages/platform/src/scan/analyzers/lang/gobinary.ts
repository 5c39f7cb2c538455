/**
 * Go executables (Trivy: gobinary). Every executable regular file is offered;
 * analyze() checks the magic bytes and reads the Go build information
 * (module path, dependencies, replacements, build settings). Non-Go files
 * are skipped silently; a Go header with an unreadable blob is a diagnostic.
 * Trivy runs this for images and root file systems, not for source trees.
 */
import type { Analyzer, AnalyzerContext, AnalyzerFile, AnalysisResult } from '../types.js';
import { executableAnalyzerBase, openExecutable } from '../lib/elf.js';
import { goBinaryPackages } from '../lib/go-binary.js';
import { readBuildInfo } from '../lib/go-buildinfo.js';

function analyzeOne(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisResult {
  const res = readBuildInfo(file.content);
  switch (res.kind) {
    case 'not-executable':
    case 'not-go':
      return {};
    case 'malformed':
      ctx.diagnostics.warn('GO_BUILDINFO_MALFORMED', `Go build information is unreadable: ${res.message}`, {
        file: file.path,
      });
      return {};
    case 'ok': {
      const exe = openExecutable(file.content);
      const packages = goBinaryPackages(res.info, exe);
      return { packageSets: [{ class: 'lang-pkgs', type: 'gobinary', filePath: file.path, packages }] };
    }
  }
}

export const analyzer: Analyzer = {
  name: 'lang/gobinary',
  version: 1,
  ...executableAnalyzerBase,
  analyze(files, ctx) {
    const sets: AnalysisResult[] = files.map((f) => analyzeOne(f, ctx));
    return { packageSets: sets.flatMap((s) => s.packageSets ?? []) };
  },
};
