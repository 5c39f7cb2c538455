/**
 * OS from /etc/debian_version (Trivy: fanal analyzer/os/debian): the first
 * line is the point release (`12.5`) or, on testing and unstable, a codename
 * (`trixie/sid`). Ubuntu ships this file too (`bookworm/sid`); the merge
 * (lib/os-merge.ts) lets Ubuntu's lsb-release replace this generic answer.
 */
import { OSFamily } from '../lib/os-family.js';
import { locationOf, scanLines } from '../lib/os-text.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { decodeText } from '../types.js';

export const analyzer: Analyzer = {
  name: 'os/debian-version',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 64 * 1024,
  required: (path) => path === 'etc/debian_version',
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
    for (const f of files) {
      const release = scanLines(decodeText(f.content))[0]?.trim() ?? '';
      if (release === '') {
        ctx.diagnostics.warn(
          'OS_RELEASE_EMPTY',
          'debian_version has no release on its first line',
          locationOf(ctx, f.path, 1),
        );
        continue;
      }
      return { os: { family: OSFamily.Debian, name: release } };
    }
    return {};
  },
};
