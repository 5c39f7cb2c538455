/**
 * Analyzers that read one manifest or lockfile at a time, and the handling of
 * an unreadable file they share: it becomes a warning on that file (with the
 * line when the parser knows it), never an exception out of the analyzer.
 * - fileAnalyzer: a parser that returns packages or a located error (the
 *   NuGet, .NET and Gradle files); its warnings become informational
 *   diagnostics, and the packages one package set per file.
 * - lockfileAnalyzer: a source-tree lockfile with a parser that throws on
 *   malformed input (Pipfile.lock, pdm.lock, uv.lock).
 * - parseOrWarn: the same for a throwing parser inside any analyzer.
 */
import type { Package, PackageSet } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile, TargetKind } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { sortPackages } from './package-order.js';

/** Why a file could not be read, with its 1-based line when known. */
export type ParseFailure = { ok: false; message: string; line?: number };

export type ParsedPackages = { ok: true; packages: Package[]; warnings?: string[] } | ParseFailure;

export interface FileAnalyzerSpec {
  name: string;
  version: number;
  targets: readonly TargetKind[];
  maxFileSize: number;
  required(path: string): boolean;
  /** The package set's type (Trivy's language type). */
  type: string;
  /** The file as a diagnostic names it: `not a readable ${what}: …`. */
  what: string;
  /** Diagnostic code for a file that cannot be read. */
  malformedCode: string;
  /** Diagnostic code for the parser's warnings (severity info). */
  warningCode?: string;
  parse(text: string): ParsedPackages;
}

export function fileAnalyzer(spec: FileAnalyzerSpec): Analyzer {
  return {
    name: spec.name,
    version: spec.version,
    targets: spec.targets,
    mode: 'file',
    maxFileSize: spec.maxFileSize,
    required: (path) => spec.required(path),
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      const packageSets: PackageSet[] = [];
      for (const f of files) {
        const res = spec.parse(decodeText(f.content));
        if (!res.ok) {
          ctx.diagnostics.warn(spec.malformedCode, `not a readable ${spec.what}: ${res.message}`, {
            file: f.path,
            ...(res.line !== undefined ? { line: res.line } : {}),
          });
          continue;
        }
        for (const w of res.warnings ?? []) {
          ctx.diagnostics.add({
            code: spec.warningCode ?? spec.malformedCode,
            severity: 'info',
            message: w,
            location: { file: f.path },
          });
        }
        if (res.packages.length === 0) continue;
        packageSets.push({
          class: 'lang-pkgs',
          type: spec.type,
          filePath: f.path,
          packages: sortPackages(res.packages),
        });
      }
      return { packageSets };
    },
  };
}

/**
 * Runs a parser that throws on malformed input. An error becomes the warning
 * `<label>: <message>` on `file` (with the error's `line` when it has one;
 * code PARSE_ERROR unless `codeOf` says otherwise) and the result undefined.
 */
export function parseOrWarn<T>(
  ctx: AnalyzerContext,
  file: string,
  label: string,
  parse: () => T,
  codeOf: (err: unknown) => string = () => 'PARSE_ERROR',
): T | undefined {
  try {
    return parse();
  } catch (err) {
    const line = (err as { line?: number }).line;
    ctx.diagnostics.warn(codeOf(err), `${label}: ${(err as Error).message}`, {
      file,
      ...(line !== undefined ? { line } : {}),
    });
    return undefined;
  }
}

export interface LockfileAnalyzerSpec {
  name: string;
  version: number;
  /** The lockfile's base name, which also labels its parse errors. */
  fileName: string;
  /** The package set's type (Trivy's language type). */
  type: string;
  /** Packages, sorted; throws (with a `line` when known) on malformed input. */
  parse(text: string): Package[];
  /** Diagnostic code for a parse error (default PARSE_ERROR). */
  errorCode?: (err: unknown) => string;
}

/** A source-tree lockfile read alone, by a parser that throws on malformed input. */
export function lockfileAnalyzer(spec: LockfileAnalyzerSpec): Analyzer {
  return {
    name: spec.name,
    version: spec.version,
    targets: ['fs'],
    mode: 'file',
    required: (path) => baseName(path) === spec.fileName,
    analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
      const f = files[0];
      if (!f) return {};
      const packages = parseOrWarn(
        ctx,
        f.path,
        spec.fileName,
        () => spec.parse(decodeText(f.content)),
        spec.errorCode,
      );
      if (!packages || packages.length === 0) return {};
      return { packageSets: [{ class: 'lang-pkgs', type: spec.type, filePath: f.path, packages }] };
    },
  };
}
