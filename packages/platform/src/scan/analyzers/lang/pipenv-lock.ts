/**
 * Pipfile.lock (pipenv), as Trivy's pipenv parser reads it: the `default`
 * section only (the `develop` section is development-only), version without
 * its `==`, and the line range of each entry.
 */
import type { Package } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { isJsonObject, objectField, parseJsonLocated, stringField } from '../lib/json-located.js';
import { sortPackages } from '../lib/package-order.js';

/** Parses Pipfile.lock text; throws JsonSyntaxError (with a line) for malformed JSON. */
export function parsePipenvLock(text: string): Package[] {
  const doc = parseJsonLocated(text);
  if (!isJsonObject(doc.value)) return [];
  const out: Package[] = [];
  for (const [name, dep] of Object.entries(objectField(doc.value, 'default') ?? {})) {
    if (!isJsonObject(dep)) continue;
    const pkg: Package = { name, version: (stringField(dep, 'version') ?? '').replace(/^=+/, '') };
    const range = doc.rangeOf(dep);
    if (range) pkg.locations = [{ ...range }];
    out.push(pkg);
  }
  return sortPackages(out);
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const f = files[0];
  if (!f) return {};
  let packages: Package[];
  try {
    packages = parsePipenvLock(decodeText(f.content));
  } catch (err) {
    const e = err as { message: string; line?: number };
    ctx.diagnostics.warn('PARSE_ERROR', `Pipfile.lock: ${e.message}`, {
      file: f.path,
      ...(e.line !== undefined ? { line: e.line } : {}),
    });
    return {};
  }
  if (packages.length === 0) return {};
  return { packageSets: [{ class: 'lang-pkgs', type: 'pipenv', filePath: f.path, packages }] };
}

export const analyzer: Analyzer = {
  name: 'lang/pipenv-lock',
  version: 1,
  targets: ['fs'],
  mode: 'file',
  required(path) {
    return baseName(path) === 'Pipfile.lock';
  },
  analyze,
};
