/**
 * OS from /etc/alpine-release (Trivy: fanal analyzer/os/alpine): the first
 * line of the file is the release, e.g. `3.20.3`.
 */
import { OSFamily } from '../lib/os-family.js';
import { locationOf, scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'os/alpine-release',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 64 * 1024,
  required: (path) => path === 'etc/alpine-release',
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    for (const f of files) {
      const release = scanLines(decodeText(f.content))[0]?.trim() ?? '';
      if (release === '') {
        ctx.diagnostics.warn(
          'OS_RELEASE_EMPTY',
          'alpine-release has no release on its first line',
          locationOf(ctx, f.path, 1),
        );
        continue;
      }
      return { os: { family: OSFamily.Alpine, name: release } };
    }
    return {};
  },
};
