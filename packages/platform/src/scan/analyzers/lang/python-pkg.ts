/**
 * Installed Python packages (Trivy's python-pkg / packaging analyzer): wheel
 * metadata (`*.dist-info/METADATA`) and egg metadata (`*.egg-info/PKG-INFO`,
 * `EGG-INFO/PKG-INFO`, an `*.egg-info` file). The metadata is an RFC 822
 * header block; the headers end at the first blank line (the description).
 *
 * Licenses as Trivy takes them: `License-Expression` first, else the
 * `Classifier: License :: …` entries, else the `License` field; then split
 * as Trivy splits license strings. A `License-File` that Trivy would run
 * through its license classifier is not read here (no classifier), so such
 * packages have no license.
 */
import type { Package } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import { splitLicenses } from '../lib/licensing.js';

export interface MetadataHeaders {
  /** Lower-cased header name → values in order. */
  values: Map<string, string[]>;
  /** 1-based line of the first line that is not a header, when the block ended early. */
  malformedLine?: number;
}

/** Reads the RFC 822 header block of a METADATA / PKG-INFO file (continuation lines folded). */
export function readMetadataHeaders(text: string): MetadataHeaders {
  const values = new Map<string, string[]>();
  const lines = text.split('\n');
  let last: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (!last) return { values, malformedLine: i + 1 };
      const cont = line.trim();
      if (cont !== '') last[last.length - 1] = `${last[last.length - 1] ?? ''} ${cont}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const key = colon > 0 ? line.slice(0, colon) : '';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return { values, malformedLine: i + 1 };
    const k = key.toLowerCase();
    let list = values.get(k);
    if (!list) values.set(k, (list = []));
    list.push(line.slice(colon + 1).trim());
    last = list;
  }
  return { values };
}

export type MetadataResult =
  | { ok: true; name: string; version: string; licenses: string[] }
  | { ok: false; error: string; line?: number };

export function parsePythonMetadata(text: string): MetadataResult {
  const h = readMetadataHeaders(text);
  const get = (k: string): string => h.values.get(k)?.[0] ?? '';
  const name = get('name');
  const version = get('version');
  if (name === '' || version === '') {
    const error = 'name or version is empty';
    return h.malformedLine !== undefined ? { ok: false, error, line: h.malformedLine } : { ok: false, error };
  }
  let license = get('license-expression');
  if (license === '') {
    const fromClassifiers: string[] = [];
    for (const c of h.values.get('classifier') ?? []) {
      if (!c.startsWith('License :: ')) continue;
      const parts = c.split(' :: ');
      const l = parts[parts.length - 1] ?? '';
      // "License :: OSI Approved" alone names no license.
      if (l !== 'OSI Approved') fromClassifiers.push(l);
    }
    license = fromClassifiers.join(', ');
    if (fromClassifiers.length === 0 && get('license') !== '') license = get('license');
  }
  return { ok: true, name, version, licenses: splitLicenses(license) };
}

const EGG_SUFFIXES = ['EGG-INFO/PKG-INFO', '.egg-info', '.egg-info/PKG-INFO', '.egg-info/METADATA'];

function isMetadataFile(path: string): boolean {
  if (baseName(path) === 'METADATA' && dirName(path).endsWith('.dist-info')) return true;
  return EGG_SUFFIXES.some((s) => path.endsWith(s));
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const f = files[0];
  if (!f) return {};
  const r = parsePythonMetadata(decodeText(f.content));
  if (!r.ok) {
    ctx.diagnostics.warn('PARSE_ERROR', `python package metadata: ${r.error}`, {
      file: f.path,
      ...(r.line !== undefined ? { line: r.line } : {}),
    });
    return {};
  }
  const pkg: Package = { name: r.name, version: r.version, filePath: f.path };
  if (r.licenses.length > 0) pkg.licenses = r.licenses;
  return { packageSets: [{ class: 'lang-pkgs', type: 'python-pkg', filePath: f.path, packages: [pkg] }] };
}

export const analyzer: Analyzer = {
  name: 'lang/python-pkg',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 16 * 1024 * 1024,
  required(path) {
    return isMetadataFile(path);
  },
  analyze,
};
