import { describe, expect, it } from 'vitest';
import { aliasGroups } from './aliases.js';

function grouped(ids: string[], edges: [string, string][]): string[][] {
  const g = aliasGroups(ids, edges);
  const by = new Map<string, string[]>();
  for (const [id, key] of g) by.set(key, [...(by.get(key) ?? []), id].sort());
  return [...by.values()].sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

describe('alias groups (union-find)', () => {
  it('gives an ID without aliases a group of its own', () => {
    expect(grouped(['A-1'], [])).toEqual([['A-1']]);
  });

  it('joins records through an alias neither has a record for', () => {
    expect(
      grouped(
        ['GO-1', 'PYSEC-1'],
        [
          ['GO-1', 'CVE-1'],
          ['PYSEC-1', 'CVE-1'],
        ],
      ),
    ).toEqual([['CVE-1', 'GO-1', 'PYSEC-1']]);
  });

  it('is transitive along a chain and keys the group by its smallest ID', () => {
    const g = aliasGroups(
      ['D', 'B'],
      [
        ['D', 'C'],
        ['C', 'B'],
        ['B', 'A'],
      ],
    );
    expect(new Set(g.values())).toEqual(new Set(['A']));
  });

  it('keeps unrelated groups apart', () => {
    expect(
      grouped(
        ['X-1', 'Y-1'],
        [
          ['X-1', 'CVE-9'],
          ['Y-1', 'CVE-8'],
        ],
      ),
    ).toEqual([
      ['CVE-8', 'Y-1'],
      ['CVE-9', 'X-1'],
    ]);
  });

  it('does not depend on the order of edges', () => {
    const edges: [string, string][] = [
      ['E', 'F'],
      ['A', 'B'],
      ['B', 'E'],
      ['G', 'H'],
    ];
    const a = aliasGroups(['A', 'G'], edges);
    const b = aliasGroups(['G', 'A'], [...edges].reverse());
    expect(Object.fromEntries([...a].sort())).toEqual(Object.fromEntries([...b].sort()));
  });

  it('handles a long chain without recursion', () => {
    const edges: [string, string][] = [];
    for (let i = 0; i < 200_000; i++) edges.push([`N-${i}`, `N-${i + 1}`]);
    const g = aliasGroups([], edges);
    expect(g.size).toBe(200_001);
    expect(new Set(g.values()).size).toBe(1);
  });
});
