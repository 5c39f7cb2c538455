/**
 * Rust executables built with cargo-auditable (Trivy: rustbinary): the
 * dependency list embedded in the `.dep-v0` section. Every executable regular
 * file is offered; analyze() checks the format. Executables without the
 * section are skipped silently; an unreadable section is a diagnostic.
 * Trivy runs this for images and root file systems, not for source trees.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { executableAnalyzerBase } from '../lib/elf.js';
import { readRustAudit } from '../lib/rust-audit.js';

export const analyzer: Analyzer = {
  name: 'lang/rustbinary',
  version: 1,
  ...executableAnalyzerBase,
  analyze(files, ctx) {
    const sets: PackageSet[] = [];
    for (const f of files) {
      const res = readRustAudit(f.content);
      if (res.kind === 'malformed') {
        ctx.diagnostics.warn('RUST_AUDIT_MALFORMED', res.message, { file: f.path });
      } else if (res.kind === 'ok') {
        sets.push({ class: 'lang-pkgs', type: 'rustbinary', filePath: f.path, packages: res.packages });
      }
    }
    return { packageSets: sets };
  },
};
