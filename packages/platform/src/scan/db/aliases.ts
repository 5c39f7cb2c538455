/**
 * Alias groups: which IDs name one weakness. OSV says `aliases` is symmetric
 * and transitive (A aliases B and B aliases C, so A aliases C), so the groups
 * are the connected components of the alias graph: a union-find over every
 * record's `id` and its `aliases`, whether or not the aliased ID has a record
 * of its own (two records that both alias CVE-X are one group through it).
 *
 * `upstream` (transitive, not symmetric) and `related` (symmetric, not
 * transitive) are not merged: a distro advisory bundles several CVEs, and
 * merging through it would make unrelated CVEs one group. They are kept as
 * links beside the groups. See docs/vulndb.md.
 */

export class UnionFind {
  private readonly parent = new Map<string, string>();
  private readonly size = new Map<string, number>();

  private find(x: string): string {
    let root = x;
    for (;;) {
      const p = this.parent.get(root);
      if (p === undefined) {
        this.parent.set(root, root);
        this.size.set(root, 1);
        return root;
      }
      if (p === root) break;
      root = p;
    }
    // Path compression, iteratively.
    let cur = x;
    while (cur !== root) {
      const next = this.parent.get(cur) as string;
      this.parent.set(cur, root);
      cur = next;
    }
    return root;
  }

  add(x: string): void {
    this.find(x);
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const sa = this.size.get(ra) as number;
    const sb = this.size.get(rb) as number;
    if (sa < sb) {
      this.parent.set(ra, rb);
      this.size.set(rb, sa + sb);
    } else {
      this.parent.set(rb, ra);
      this.size.set(ra, sa + sb);
    }
  }

  /**
   * Every member with its group key. The key is the smallest member in code
   * point order, so it does not depend on the order records were read in
   * (and a CVE ID, when the group has one, sorts first).
   */
  groups(): Map<string, string> {
    const minOfRoot = new Map<string, string>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      const m = minOfRoot.get(r);
      if (m === undefined || x < m) minOfRoot.set(r, x);
    }
    const out = new Map<string, string>();
    for (const x of this.parent.keys()) out.set(x, minOfRoot.get(this.find(x)) as string);
    return out;
  }
}

/** Groups from (id, alias) pairs; every id in `ids` gets a group even without aliases. */
export function aliasGroups(
  ids: Iterable<string>,
  edges: Iterable<readonly [string, string]>,
): Map<string, string> {
  const uf = new UnionFind();
  for (const id of ids) uf.add(id);
  for (const [a, b] of edges) uf.union(a, b);
  return uf.groups();
}
