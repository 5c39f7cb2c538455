/**
 * Gemfile.lock (Trivy: bundler): specs of every source, direct dependencies
 * from the DEPENDENCIES section, dependsOn from the spec's indented lines,
 * the platform suffix dropped from versions. See lib/ruby.ts.
 * Lockfile analyzer: source trees only, as Trivy.
 */
import type { Analyzer } from '../types.js';
import { baseName, decodeText } from '../types.js';
import { sortPackages } from '../lib/package-order.js';
import { parseGemfileLock } from '../lib/ruby.js';

export const analyzer: Analyzer = {
  name: 'lang/bundler',
  version: 1,
  targets: ['fs'],
  mode: 'file',
  maxFileSize: 32 * 1024 * 1024,
  required(path) {
    return baseName(path) === 'Gemfile.lock';
  },
  analyze(files, ctx) {
    return {
      packageSets: files.flatMap((f) => {
        const text = decodeText(f.content);
        if (text.includes('\0')) {
          ctx.diagnostics.warn('GEMFILE_LOCK_INVALID', 'not a text file', { file: f.path });
          return [];
        }
        const packages = sortPackages(parseGemfileLock(text));
        return [{ class: 'lang-pkgs' as const, type: 'bundler', filePath: f.path, packages }];
      }),
    };
  },
};
