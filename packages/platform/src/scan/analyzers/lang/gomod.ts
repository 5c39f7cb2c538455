/**
 * go.mod (with go.sum beside it), as Trivy's gomod analyzer reads them: the
 * go.mod gives the root module and the required modules (direct/indirect,
 * `replace` applied); when it records no indirect requirement (Go before
 * 1.17), go.sum in the same directory adds the remaining modules as
 * indirect. Group mode, so go.mod and go.sum of a directory meet.
 * Lockfile analyzer: source trees only, as Trivy.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import { goModPackages, mergeGoSum, needsGoSum, parseGoModFile, parseGoSum } from '../lib/go-mod.js';
import { sortPackages } from '../lib/package-order.js';

export const analyzer: Analyzer = {
  name: 'lang/gomod',
  version: 1,
  targets: ['fs'],
  mode: 'group',
  maxFileSize: 32 * 1024 * 1024,
  required(path) {
    const b = baseName(path);
    return b === 'go.mod' || b === 'go.sum';
  },
  analyze(files, ctx) {
    const sums = new Map<string, string>();
    for (const f of files)
      if (baseName(f.path) === 'go.sum') sums.set(dirName(f.path), decodeText(f.content));
    const sets: PackageSet[] = [];
    for (const f of files) {
      if (baseName(f.path) !== 'go.mod') continue;
      const mod = parseGoModFile(decodeText(f.content));
      for (const e of mod.errors.slice(0, 20)) {
        ctx.diagnostics.warn('GOMOD_SYNTAX', e.message, { file: f.path, line: e.line });
      }
      let pkgs = goModPackages(mod);
      const sum = sums.get(dirName(f.path));
      if (sum !== undefined && needsGoSum(pkgs)) pkgs = mergeGoSum(pkgs, parseGoSum(sum));
      sets.push({ class: 'lang-pkgs', type: 'gomod', filePath: f.path, packages: sortPackages(pkgs) });
    }
    return { packageSets: sets };
  },
};
