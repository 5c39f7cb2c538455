/**
 * OS analyzers whose file holds the release on its first line
 * (/etc/alpine-release, /etc/debian_version): one per file, each with its own
 * name, path and family; an empty first line is a warning, not an OS.
 */
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { locationOf, scanLines } from './os-text.js';

export interface ReleaseLineSpec {
  /** `os/<file>`, as for every analyzer. */
  name: string;
  /** The file, relative to the root: `etc/alpine-release`. */
  path: string;
  /** The OS family the file names (lib/os-family.ts). */
  family: string;
}

export function releaseLineAnalyzer(spec: ReleaseLineSpec): Analyzer {
  return {
    name: spec.name,
    version: 1,
    targets: ['image', 'rootfs'],
    mode: 'file',
    maxFileSize: 64 * 1024,
    required: (path) => path === spec.path,
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      for (const f of files) {
        const release = scanLines(decodeText(f.content))[0]?.trim() ?? '';
        if (release === '') {
          ctx.diagnostics.warn(
            'OS_RELEASE_EMPTY',
            `${baseName(spec.path)} has no release on its first line`,
            locationOf(ctx, f.path, 1),
          );
          continue;
        }
        return { os: { family: spec.family, name: release } };
      }
      return {};
    },
  };
}
