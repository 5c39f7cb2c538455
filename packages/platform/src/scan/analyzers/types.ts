/**
 * The analyzer stage (Trivy: fanal analyzers). An analyzer names the paths it
 * wants; the runner streams each layer once and hands it only those files.
 * Analyzers are pure: bytes in, packages out. They never read the host file
 * system, never throw for malformed input (they add a diagnostic and return
 * what they could read), and are listed explicitly in ./index.ts.
 */
import type { OSInfo, PackageSet, SecretFinding } from '@palisade/api';
import type { Diagnostics } from '../../core/diagnostics.js';
import type { Logger } from '../../core/logger.js';

/** Where an analyzer applies. `fs`: a source tree (lockfiles, manifests). `image`/`rootfs`: installed software. */
export type TargetKind = 'image' | 'rootfs' | 'fs';

export interface FileInfo {
  /** Size in bytes as the archive or file system reports it. */
  size: number;
  /** Unix permission bits (e.g. 0o755), used to spot executables. */
  mode: number;
}

export interface AnalyzerFile extends FileInfo {
  /** Path relative to the artifact root, `/`-separated, no leading slash: `var/lib/dpkg/status`. */
  path: string;
  content: Buffer;
}

export interface AnalyzerContext {
  diagnostics: Diagnostics;
  logger: Logger;
  signal?: AbortSignal;
  /** Diff ID of the layer being analysed (for diagnostics' locations). */
  layer?: string;
  /** A private scratch directory, for analyzers that need a real file (the rpm SQLite database). Removed after the scan. */
  scratchDir: string;
}

/** Secrets found in one file (scan/secret's analyzer); path as the report shows it. */
export interface SecretFile {
  filePath: string;
  findings: SecretFinding[];
}

export interface AnalysisResult {
  os?: OSInfo;
  packageSets?: PackageSet[];
  secrets?: SecretFile[];
}

export interface Analyzer {
  /** Equals the file's path under analyzers/ without extension: `os/dpkg`, `lang/npm-lock`. */
  readonly name: string;
  /** Bump when output changes for the same input: invalidates cached layer results. */
  readonly version: number;
  readonly targets: readonly TargetKind[];
  /**
   * `file`: analyze() is called once per required file.
   * `group`: once per layer with every required file of that layer (dpkg status + status.d, go.mod + go.sum).
   */
  readonly mode: 'file' | 'group';
  /** Files larger than this are skipped with a counted warning. Default 128 MiB. */
  readonly maxFileSize?: number;
  /** Cheap path test, called for every regular file of every layer. */
  required(path: string, info: FileInfo): boolean;
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult | Promise<AnalysisResult>;
}

export const DEFAULT_MAX_FILE_SIZE = 128 * 1024 * 1024;

/** Last path segment. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Directory part of a path ('' at the root). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Decodes a text file: UTF-8 (BOM stripped) or UTF-16 with BOM. */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const s = buf.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
