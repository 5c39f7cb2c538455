/**
 * composer.lock with the composer.json beside it (Trivy: composer): packages
 * and dev packages of the lock; composer.json's require/require-dev make a
 * package direct, the rest indirect (without composer.json the relationship
 * stays unknown). Locks under a `vendor` directory are not the project's and
 * are skipped, as Trivy does. Group mode, so a lock meets its composer.json.
 * Lockfile analyzer: source trees only, as Trivy.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import { sortPackages } from '../lib/package-order.js';
import { applyComposerJson, composerJsonDirect, parseComposerLock } from '../lib/php.js';

export const analyzer: Analyzer = {
  name: 'lang/composer-lock',
  version: 1,
  targets: ['fs'],
  mode: 'group',
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    const b = baseName(path);
    if (b !== 'composer.lock' && b !== 'composer.json') return false;
    return !path.split('/').includes('vendor');
  },
  analyze(files, ctx) {
    const jsons = new Map<string, { path: string; text: string }>();
    for (const f of files) {
      if (baseName(f.path) === 'composer.json')
        jsons.set(dirName(f.path), { path: f.path, text: decodeText(f.content) });
    }
    const sets: PackageSet[] = [];
    for (const f of files) {
      if (baseName(f.path) !== 'composer.lock') continue;
      const res = parseComposerLock(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn(
          'COMPOSER_LOCK_INVALID',
          res.message,
          res.line !== undefined ? { file: f.path, line: res.line } : { file: f.path },
        );
        continue;
      }
      let pkgs = res.packages;
      const json = jsons.get(dirName(f.path));
      if (json) {
        const direct = composerJsonDirect(json.text);
        if (typeof direct === 'string') {
          ctx.diagnostics.warn('COMPOSER_JSON_INVALID', `cannot identify direct dependencies: ${direct}`, {
            file: json.path,
          });
        } else pkgs = applyComposerJson(pkgs, direct);
      }
      sets.push({ class: 'lang-pkgs', type: 'composer', filePath: f.path, packages: sortPackages(pkgs) });
    }
    return { packageSets: sets };
  },
};
