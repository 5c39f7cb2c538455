/**
 * Rust executables built with cargo-auditable carry their dependency tree in
 * a `.dep-v0` section (older rust-audit: `.rust-deps-v0` in ELF, `rdep-v0` in
 * PE, `rust-deps-v0` in Mach-O): zlib-compressed JSON
 * `{"packages":[{name, version, source, kind, dependencies:[index], root}]}`.
 * Read as go-rustaudit reads it; packages as Trivy's Rust binary parser
 * reports them: runtime packages only, the root crate `root`, the others
 * `unknown`, each depending on its runtime dependencies.
 */
import { inflateSync } from 'node:zlib';
import type { Package } from '@palisade/api';
import type { Executable } from './elf.js';
import { openExecutable } from './elf.js';
import { cargoPackageId } from './rust-cargo.js';

/** Decompressed JSON larger than this is refused (real ones are a few KiB to a few hundred KiB). */
export const MAX_AUDIT_JSON = 64 * 1024 * 1024;

const LEGACY: Record<Executable['format'], string> = {
  elf: '.rust-deps-v0',
  pe: 'rdep-v0',
  macho: 'rust-deps-v0',
};

export type RustAuditResult =
  | { kind: 'ok'; packages: Package[] }
  | { kind: 'not-executable' }
  | { kind: 'no-audit-data' }
  | { kind: 'malformed'; message: string };

interface AuditPackage {
  name: string;
  version: string;
  kind: string;
  dependencies: number[];
  root: boolean;
}

function auditSection(x: Executable): Buffer | undefined {
  const s = x.section('.dep-v0') ?? x.section(LEGACY[x.format]);
  if (!s) return undefined;
  return x.sectionData(s) ?? Buffer.alloc(0);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readRustAudit(buf: Buffer): RustAuditResult {
  const x = openExecutable(buf);
  if (!x) return { kind: 'not-executable' };
  const data = auditSection(x);
  if (!data) return { kind: 'no-audit-data' };
  let json: string;
  try {
    json = inflateSync(data, { maxOutputLength: MAX_AUDIT_JSON }).toString('utf8');
  } catch (err) {
    return { kind: 'malformed', message: `dependency section is not zlib data: ${(err as Error).message}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return { kind: 'malformed', message: `dependency section is not JSON: ${(err as Error).message}` };
  }
  if (!isObject(doc) || !Array.isArray(doc['packages'])) {
    return { kind: 'malformed', message: 'dependency section has no packages list' };
  }
  const list: AuditPackage[] = [];
  for (const p of doc['packages'] as unknown[]) {
    if (!isObject(p)) return { kind: 'malformed', message: 'a package entry is not an object' };
    list.push({
      name: typeof p['name'] === 'string' ? p['name'] : '',
      version: typeof p['version'] === 'string' ? p['version'] : '',
      // cargo-auditable omits the kind of runtime dependencies.
      kind: typeof p['kind'] === 'string' ? p['kind'] : 'runtime',
      dependencies: Array.isArray(p['dependencies'])
        ? (p['dependencies'] as unknown[]).filter(
            (d): d is number => Number.isInteger(d) && (d as number) >= 0,
          )
        : [],
      root: p['root'] === true,
    });
  }
  const packages: Package[] = [];
  for (const p of list) {
    if (p.kind !== 'runtime') continue;
    const pkg: Package = {
      id: cargoPackageId(p.name, p.version),
      name: p.name,
      version: p.version,
      relationship: p.root ? 'root' : 'unknown',
    };
    const deps: string[] = [];
    for (const i of p.dependencies) {
      const d = list[i];
      if (d && d.kind === 'runtime') deps.push(cargoPackageId(d.name, d.version));
    }
    if (deps.length > 0) pkg.dependsOn = deps;
    packages.push(pkg);
  }
  return { kind: 'ok', packages };
}
