/**
 * Ordering and de-duplication of language packages the way Trivy does it
 * (fanal types.Packages.Less and dependency parser utils.UniquePackages), so
 * results list in the same order as Trivy's JSON.
 */
import type { Package, Relationship } from '@palisade/api';

// Trivy's enum order: unknown(0) root workspace direct indirect; unknown sorts last.
const RANK: Record<Relationship, number> = { root: 1, workspace: 2, direct: 3, indirect: 4, unknown: 99 };

function rank(p: Package): number {
  return RANK[p.relationship ?? 'unknown'];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePackages(a: Package, b: Package): number {
  return (
    rank(a) - rank(b) ||
    cmp(a.name, b.name) ||
    cmp(a.version, b.version) ||
    cmp(a.filePath ?? '', b.filePath ?? '')
  );
}

/** Sorts in place (Trivy order) and returns the array. dependsOn lists are sorted too. */
export function sortPackages(pkgs: Package[]): Package[] {
  for (const p of pkgs) p.dependsOn?.sort(cmp);
  return pkgs.sort(comparePackages);
}

/**
 * Merges packages with the same id: locations are combined (sorted), as
 * Trivy's UniquePackages does; the first occurrence's other fields win, except
 * that `mergeDependsOn` unites the dependsOn lists (NuGet, whose lockfile
 * lists a package once per target framework).
 */
export function uniquePackages(pkgs: readonly Package[], opts: { mergeDependsOn?: boolean } = {}): Package[] {
  const byId = new Map<string, Package>();
  const out: Package[] = [];
  for (const p of pkgs) {
    const key = p.id ?? `${p.name}@${p.version}`;
    const seen = byId.get(key);
    if (!seen) {
      byId.set(key, p);
      out.push(p);
      continue;
    }
    if (p.locations) {
      const all = [...(seen.locations ?? []), ...p.locations];
      all.sort((x, y) => x.startLine - y.startLine || x.endLine - y.endLine);
      seen.locations = all.filter(
        (l, i) => i === 0 || l.startLine !== all[i - 1]?.startLine || l.endLine !== all[i - 1]?.endLine,
      );
    }
    if (opts.mergeDependsOn && p.dependsOn)
      seen.dependsOn = [...new Set([...(seen.dependsOn ?? []), ...p.dependsOn])];
  }
  return out;
}
