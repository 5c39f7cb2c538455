/**
 * Analyzers that read one manifest or lockfile at a time with a parser that
 * returns packages or a located error (the NuGet, .NET and Gradle files): an
 * unreadable file becomes a warning on that file, the parser's own warnings
 * informational diagnostics, and the packages one package set per file.
 */
import type { Package, PackageSet } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile, TargetKind } from '../types.js';
import { decodeText } from '../types.js';
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
