/**
 * Installed Composer packages, vendor/composer/installed.json (Trivy:
 * composer-vendor), read with the composer.lock parser as Trivy does: the
 * Composer 2 layout (an object with `packages`). Composer 1 wrote a bare
 * list, which Trivy cannot decode either: reported as a diagnostic.
 * Individual-package analyzer: images and root file systems, as Trivy.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { sortPackages } from '../lib/package-order.js';
import { parseComposerLock } from '../lib/php.js';

export const analyzer: Analyzer = {
  name: 'lang/composer-vendor',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'installed.json';
  },
  analyze(files, ctx) {
    const sets: PackageSet[] = [];
    for (const f of files) {
      const res = parseComposerLock(decodeText(f.content));
      if (!res.ok) {
        ctx.diagnostics.warn(
          'COMPOSER_INSTALLED_INVALID',
          res.message,
          res.line !== undefined ? { file: f.path, line: res.line } : { file: f.path },
        );
        continue;
      }
      if (res.packages.length === 0) continue;
      sets.push({
        class: 'lang-pkgs',
        type: 'composer-vendor',
        filePath: f.path,
        packages: sortPackages(res.packages),
      });
    }
    return { packageSets: sets };
  },
};
