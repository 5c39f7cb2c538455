/**
 * Installed Node.js packages (Trivy's node-pkg analyzer): every package.json
 * in an image or root file system is one package (name, version, declared
 * licenses), and include/node/node_version.h tells the Node.js version itself.
 * A package.json without a name or version is not a package. Inside
 * node_modules only package roots count (node_modules/rxjs/ajax/package.json
 * is a bundler hint, not a package), as in Trivy.
 */
import type { Package } from '@palisade/api';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { isNodeModulesPackageRoot, npmPackageId, parsePackageJson } from '../lib/npm.js';

const NODE_VERSION_HEADER = 'include/node/node_version.h';

function isManifest(path: string): boolean {
  if (baseName(path) !== 'package.json') return false;
  return !path.split('/').includes('node_modules') || isNodeModulesPackageRoot(path);
}

/** The Node.js version from its C header (`#define NODE_MAJOR_VERSION 20` …). */
export function parseNodeVersionHeader(text: string): string | undefined {
  const parts: (number | undefined)[] = [undefined, undefined, undefined];
  const names = ['NODE_MAJOR_VERSION', 'NODE_MINOR_VERSION', 'NODE_PATCH_VERSION'];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3 || f[0] !== '#define') continue;
    const i = names.indexOf(f[1] ?? '');
    if (i < 0 || !/^\d+$/.test(f[2] ?? '')) continue;
    parts[i] = Number(f[2]);
  }
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.join('.');
}

function analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): AnalysisResult {
  const f = files[0];
  if (!f) return {};
  let pkg: Package | undefined;
  if (f.path.endsWith(NODE_VERSION_HEADER)) {
    const version = parseNodeVersionHeader(decodeText(f.content));
    if (version) pkg = { id: npmPackageId('node', version), name: 'node', version };
  } else {
    const r = parsePackageJson(decodeText(f.content));
    if (!r.ok) {
      ctx.diagnostics.warn('PARSE_ERROR', `package.json: ${r.error}`, {
        file: f.path,
        ...(r.line !== undefined ? { line: r.line } : {}),
      });
      return {};
    }
    if (r.pkg.name && r.pkg.version) {
      pkg = { id: npmPackageId(r.pkg.name, r.pkg.version), name: r.pkg.name, version: r.pkg.version };
      if (r.pkg.licenses.length > 0) pkg.licenses = r.pkg.licenses;
    }
  }
  if (!pkg) return {};
  pkg.filePath = f.path;
  return { packageSets: [{ class: 'lang-pkgs', type: 'node-pkg', filePath: f.path, packages: [pkg] }] };
}

export const analyzer: Analyzer = {
  name: 'lang/node-pkg',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 8 * 1024 * 1024,
  required(path) {
    return isManifest(path) || path.endsWith(NODE_VERSION_HEADER);
  },
  analyze,
};
