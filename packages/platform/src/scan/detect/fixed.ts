/**
 * The fixed versions a finding shows. Trivy shows every patched version of the
 * advisory for the package, comma-joined in the advisory's order
 * (`6.0.3.1, 5.2.4.3`: one per maintained branch), so a user on any branch sees
 * where to go; that is the default here (`all`). `matching` shows only the
 * fixed events that end the ranges the installed version is in (`6.0.3.1` for
 * 6.0.2.1), which is what an upgrade on the same branch needs.
 */
import type { OsvRange } from '../db/osv.js';

export type FixedVersionMode = 'all' | 'matching';

/** Every `fixed` event of an affected entry's ECOSYSTEM and SEMVER ranges, in record order. */
export function allFixedEvents(ranges: readonly OsvRange[]): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    const type = r.type.toUpperCase();
    if (type !== 'ECOSYSTEM' && type !== 'SEMVER') continue;
    for (const e of r.events) if (typeof e.fixed === 'string' && e.fixed !== '') out.push(e.fixed);
  }
  return out;
}

/** Joins fixed versions as Trivy does (`, `), first occurrence kept; undefined when there is none. */
export function renderFixedVersions(lists: readonly (readonly string[])[]): string | undefined {
  // Most findings have one record with at most one fixed version.
  if (lists.length === 1 && (lists[0] as readonly string[]).length <= 1) return lists[0]?.[0];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of lists)
    for (const v of list)
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
  return out.length > 0 ? out.join(', ') : undefined;
}
