/**
 * Package URL matching as Trivy does it for `.trivyignore.yaml` `purls:` and
 * OpenVEX products (pkg/purl Match, go-vex PurlMatches): the constraint's
 * type, namespace and name must equal the target's; a constraint without a
 * version matches every version; every qualifier of the constraint must be in
 * the target with the same value (the target may have more); a constraint
 * subpath must be equal (ignore files only; go-vex does not compare subpaths).
 */
import type * as Purl from 'packageurl-js';
import { lazy } from '../../core/lazy.js';

const purlLib = lazy<typeof Purl>('packageurl-js');

export interface ParsedPurl {
  type: string;
  namespace: string;
  name: string;
  version: string;
  qualifiers: Record<string, string>;
  subpath: string;
}

/** Parses a purl, or returns undefined when it is not one. */
export function parsePurl(s: string): ParsedPurl | undefined {
  if (!s.startsWith('pkg:') || s.length > 4096) return undefined;
  try {
    const p = purlLib().PackageURL.fromString(s);
    const q: Record<string, string> = {};
    if (p.qualifiers) for (const [k, v] of Object.entries(p.qualifiers)) q[k] = String(v);
    return {
      type: p.type,
      namespace: p.namespace ?? '',
      name: p.name,
      version: p.version ?? '',
      qualifiers: q,
      subpath: p.subpath ?? '',
    };
  } catch {
    return undefined;
  }
}

export function purlMatches(constraint: ParsedPurl, target: ParsedPurl, compareSubpath: boolean): boolean {
  if (constraint.type !== target.type) return false;
  if (constraint.namespace !== target.namespace) return false;
  if (constraint.name !== target.name) return false;
  if (constraint.version !== '' && constraint.version !== target.version) return false;
  if (compareSubpath && constraint.subpath !== '' && constraint.subpath !== target.subpath) return false;
  for (const [k, v] of Object.entries(constraint.qualifiers)) if (target.qualifiers[k] !== v) return false;
  return true;
}
