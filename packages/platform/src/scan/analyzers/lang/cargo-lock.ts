/**
 * Cargo.lock with the Cargo.toml beside it (and its workspace members'), as
 * Trivy's cargo analyzer reads them: see lib/rust-cargo.ts. Group mode, so a
 * lock meets its manifests. Trivy does not count Cargo among its lockfile
 * analyzers, so it runs for images and root file systems too.
 */
import type { PackageSet } from '@palisade/api';
import type { Analyzer } from '../types.js';
import { baseName, decodeText, dirName } from '../types.js';
import type { CargoTomlFile } from '../lib/rust-cargo.js';
import { applyCargoToml, CargoParseError, joinPath, parseCargoLock } from '../lib/rust-cargo.js';
import { sortPackages } from '../lib/package-order.js';

export const analyzer: Analyzer = {
  name: 'lang/cargo-lock',
  version: 1,
  targets: ['fs', 'image', 'rootfs'],
  mode: 'group',
  maxFileSize: 32 * 1024 * 1024,
  required(path) {
    const b = baseName(path);
    return b === 'Cargo.lock' || b === 'Cargo.toml';
  },
  analyze(files, ctx) {
    const tomls: CargoTomlFile[] = files
      .filter((f) => baseName(f.path) === 'Cargo.toml')
      .map((f) => ({ path: f.path, text: decodeText(f.content) }));
    const sets: PackageSet[] = [];
    for (const f of files) {
      if (baseName(f.path) !== 'Cargo.lock') continue;
      let pkgs;
      try {
        pkgs = parseCargoLock(decodeText(f.content));
      } catch (err) {
        if (!(err instanceof CargoParseError)) throw err;
        ctx.diagnostics.warn(
          'CARGO_LOCK_INVALID',
          err.message,
          err.line !== undefined ? { file: f.path, line: err.line } : { file: f.path },
        );
        continue;
      }
      const tomlPath = joinPath(dirName(f.path), 'Cargo.toml');
      const toml = tomls.find((t) => t.path === tomlPath);
      if (toml) {
        try {
          const res = applyCargoToml(pkgs, toml, tomls);
          pkgs = res.packages;
          for (const w of res.warnings.slice(0, 20)) {
            ctx.diagnostics.warn(
              'CARGO_TOML',
              w.message,
              w.line !== undefined ? { file: w.file, line: w.line } : { file: w.file },
            );
          }
        } catch (err) {
          if (!(err instanceof CargoParseError)) throw err;
          // As Trivy: an unreadable Cargo.toml leaves the lock's packages as they are.
          ctx.diagnostics.warn(
            'CARGO_TOML_INVALID',
            `cannot identify direct dependencies: ${err.message}`,
            err.line !== undefined ? { file: toml.path, line: err.line } : { file: toml.path },
          );
        }
      }
      sets.push({ class: 'lang-pkgs', type: 'cargo', filePath: f.path, packages: sortPackages(pkgs) });
    }
    return { packageSets: sets };
  },
};
