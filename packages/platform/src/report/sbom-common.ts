import { createHash } from 'node:crypto';
import type { InventoryReport, InventoryResult, Package } from '@palisade/api';
import { purlFor } from './purl.js';

export const TOOL_NAME = 'palisade';
export const TOOL_VERSION = '0.1.0';

export interface FlatPackage {
  pkg: Package;
  result: InventoryResult;
  purl: string | undefined;
  /** Unique, stable reference within the document. */
  ref: string;
}

/** Flattens results into packages with a purl and a unique reference (purl, or purl + hash when repeated). */
export function flatten(report: InventoryReport): FlatPackage[] {
  const seen = new Map<string, number>();
  const out: FlatPackage[] = [];
  for (const result of report.results) {
    for (const pkg of result.packages) {
      const purl = pkg.purl ?? purlFor(pkg, result.class, result.type, report.os);
      let ref = purl ?? `${result.type}:${pkg.name}@${pkg.version}`;
      const n = seen.get(ref) ?? 0;
      seen.set(ref, n + 1);
      if (n > 0) ref = `${ref}#${shortHash(`${result.target}\u0000${pkg.filePath ?? ''}\u0000${n}`)}`;
      out.push({ pkg, result, purl, ref });
    }
  }
  return out;
}

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

/** The package's own id as the analyzers set it (for dependsOn resolution). */
export function pkgId(p: Package): string {
  return p.id ?? `${p.name}@${p.version}`;
}
