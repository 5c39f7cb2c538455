/**
 * The secret analyzer: runs the secret scanner over every regular file the
 * artifact stage streams by (Trivy's pkg/fanal/analyzer/secret). It is not in
 * analyzers/index.ts because it is built from a configuration (rules from
 * trivy-secret.yaml); its cache version mixes the scanner code version with a
 * hash of the rule set, so changing the configuration invalidates cached
 * layer results.
 */
import type {
  Analyzer,
  AnalyzerContext,
  AnalyzerFile,
  AnalysisResult,
  FileInfo,
  TargetKind,
} from '../analyzers/types.js';
import { SKIP_DIRS, SKIP_EXTENSIONS, SKIP_FILES } from './builtin-allow-rules.js';
import type { SecretScanner } from './scanner.js';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FINDINGS_PER_FILE, allowedPath, scanFile } from './scanner.js';

/** Trivy does not look at files smaller than this. */
const MIN_FILE_SIZE = 10;

export interface SecretAnalyzerOptions {
  /**
   * `image`: paths are reported and matched with a leading `/` (`/app/.env`),
   * as Trivy does for files from image layers; `fs`/`rootfs`: relative.
   */
  kind: TargetKind;
  /** Files larger than this are not scanned. Default 10 MiB. */
  maxFileSize?: number;
  maxFindingsPerFile?: number;
  /** Base name of the trivy-secret.yaml in use: a file at the root with this name is not scanned. */
  configFile?: string;
}

function extensionOf(base: string): string {
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}

/** True when the path is in a skipped directory, is a skipped file, or has a skipped extension. */
export function skippedPath(path: string): boolean {
  const parts = path.split('/');
  const base = parts[parts.length - 1] ?? '';
  if (SKIP_FILES.has(base) || SKIP_EXTENSIONS.has(extensionOf(base))) return true;
  for (let i = 0; i < parts.length - 1; i++) if (SKIP_DIRS.has(parts[i] ?? '')) return true;
  return false;
}

export function secretAnalyzer(scanner: SecretScanner, opts: SecretAnalyzerOptions): Analyzer {
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const maxFindings = opts.maxFindingsPerFile ?? DEFAULT_MAX_FINDINGS_PER_FILE;
  const shown = (path: string): string => (opts.kind === 'image' ? `/${path}` : path);
  return {
    name: 'secret',
    version: scanner.version,
    targets: [opts.kind],
    mode: 'file',
    // Larger files are declined in required(), silently; the runner's limit is only a backstop.
    maxFileSize,
    required(path: string, info: FileInfo): boolean {
      if (info.size < MIN_FILE_SIZE || info.size > maxFileSize) return false;
      if (opts.configFile !== undefined && path === opts.configFile) return false;
      if (skippedPath(path)) return false;
      return allowedPath(scanner.allowRules, shown(path)) === undefined;
    },
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      const secrets: NonNullable<AnalysisResult['secrets']> = [];
      for (const f of files) {
        const filePath = shown(f.path);
        const scan = scanFile(scanner, filePath, f.content, { maxFileSize, maxFindings });
        if (scan.truncated) {
          ctx.diagnostics.warn(
            'SECRET_FINDINGS_LIMIT',
            `more than ${maxFindings} secrets in one file; the rest are not reported`,
            ctx.layer ? { file: filePath, layer: ctx.layer } : { file: filePath },
          );
        }
        if (scan.findings.length > 0) secrets.push({ filePath, findings: scan.findings });
      }
      return secrets.length > 0 ? { secrets } : {};
    },
  };
}
