/**
 * Installed gems' specifications (Trivy: gemspec), e.g.
 * usr/local/bundle/specifications/rake-13.0.3.gemspec: name, version and
 * licenses read from the Ruby source with Trivy's regular expressions (no
 * evaluation). One package per file; Trivy reports them together as "Ruby".
 * Individual-package analyzer: images and root file systems, as Trivy.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { decodeText } from '../types.js';
import { gemPackageId, parseGemspec } from '../lib/ruby.js';

const SPEC_PATH = /.*\/specifications\/.+\.gemspec/;

export const analyzer: Analyzer = {
  name: 'lang/gemspec',
  version: 1,
  targets: ['image', 'rootfs'],
  mode: 'file',
  maxFileSize: 8 * 1024 * 1024,
  required(path) {
    return SPEC_PATH.test(path);
  },
  analyze(files, ctx) {
    const sets: PackageSet[] = [];
    for (const f of files) {
      const spec = parseGemspec(decodeText(f.content));
      if (!spec) {
        ctx.diagnostics.warn('GEMSPEC_INVALID', 'failed to parse gemspec: no name or version found', {
          file: f.path,
        });
        continue;
      }
      const pkg = {
        id: gemPackageId(spec.name, spec.version),
        name: spec.name,
        version: spec.version,
        filePath: f.path,
      };
      sets.push({
        class: 'lang-pkgs',
        type: 'gemspec',
        filePath: f.path,
        packages: [spec.licenses.length > 0 ? { ...pkg, licenses: spec.licenses } : pkg],
      });
    }
    return { packageSets: sets };
  },
};
