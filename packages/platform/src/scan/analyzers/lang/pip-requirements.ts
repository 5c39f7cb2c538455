/**
 * requirements.txt (pip), as Trivy's pip parser reads it: one package per
 * line pinned with `==` (extras, environment markers, `--hash` options and
 * comments are stripped; line continuations are joined character-wise, as
 * Trivy does by deleting backslashes). Unpinned and ranged requirements are
 * not packages, since the installed version is unknown. UTF-16 files (with a
 * BOM, as Windows writes them) are decoded. `-r`/`-c` includes are not
 * followed (Trivy does not either).
 *
 * Trivy's "comprehensive" detection priority also takes the minimum of `>=`
 * and `~=` ranges; parseRequirements() offers that as `useMinVersion`.
 */
import type { Package } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { isPythonNameChar } from '../lib/python.js';
import { isPep440 } from '../lib/python-pep440.js';
import { sortPackages } from '../lib/package-order.js';

function rStripByKey(line: string, key: string): string {
  const i = line.indexOf(key);
  return i >= 0 ? line.slice(0, i).trimEnd() : line;
}

function removeExtras(line: string): string {
  const start = line.indexOf('[');
  const end = line.indexOf(']') + 1;
  // As Trivy: only `[` is checked (end is 0 when `]` is missing).
  return start !== -1 ? line.slice(0, start) + line.slice(end) : line;
}

function splitNameAndSpecs(line: string): [string, string] {
  let i = 0;
  for (const c of line) {
    if (!isPythonNameChar(c)) return [line.slice(0, i), line.slice(i)];
    i += c.length;
  }
  return [line, ''];
}

function splitLine(line: string, useMinVersion: boolean): [string, string] | undefined {
  const [name, specs] = splitNameAndSpecs(line);
  if (name === '' || specs === '') return undefined;
  const operators = useMinVersion ? ['~=', '>=', '=='] : ['=='];
  for (const op of operators) {
    for (const spec of specs.split(',')) if (spec.startsWith(op)) return [name, spec.slice(op.length)];
  }
  return undefined;
}

export interface RequirementsResult {
  packages: Package[];
  /** Lines that look like a pin but whose name or version is invalid. */
  invalid: { line: number; text: string }[];
}

export function parseRequirements(text: string, opts: { useMinVersion?: boolean } = {}): RequirementsResult {
  const useMin = opts.useMinVersion ?? false;
  const packages: Package[] = [];
  const invalid: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const lineNumber = i + 1;
    const textLine = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let line = textLine.replaceAll(' ', '').replaceAll('\\', '');
    line = removeExtras(line);
    line = rStripByKey(line, '#');
    line = rStripByKey(line, ';');
    line = rStripByKey(line, '--');
    const s = splitLine(line, useMin);
    if (!s) return;
    const name = s[0];
    let version = s[1];
    if (useMin && version.endsWith('.*')) version = version.slice(0, -1) + '0';
    if (![...name].every(isPythonNameChar) || !isPep440(version)) {
      invalid.push({ line: lineNumber, text: textLine });
      return;
    }
    packages.push({ name, version, locations: [{ startLine: lineNumber, endLine: lineNumber }] });
  });
  return { packages: sortPackages(packages), invalid };
}

/** requirements.txt and its usual variants (requirements-dev.txt, requirements_test.txt…). */
export function isRequirementsFile(path: string): boolean {
  return /^requirements.*\.txt$/.test(baseName(path));
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const f = files[0];
  if (!f) return {};
  const result = parseRequirements(decodeText(f.content));
  for (const bad of result.invalid) {
    ctx.diagnostics.warn('PIP_INVALID_REQUIREMENT', `invalid package name or version: ${bad.text.trim()}`, {
      file: f.path,
      line: bad.line,
    });
  }
  if (result.packages.length === 0) return {};
  return { packageSets: [{ class: 'lang-pkgs', type: 'pip', filePath: f.path, packages: result.packages }] };
}

export const analyzer: Analyzer = {
  name: 'lang/pip-requirements',
  version: 1,
  targets: ['fs'],
  mode: 'file',
  maxFileSize: 16 * 1024 * 1024,
  required(path) {
    return isRequirementsFile(path);
  },
  analyze,
};
