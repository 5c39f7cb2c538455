import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzers } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

function analyzerFiles(): string[] {
  const out: string[] = [];
  for (const group of ['os', 'lang']) {
    for (const f of readdirSync(join(here, group))) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
        out.push(`${group}/${f.slice(0, -3)}`);
    }
  }
  return out.sort();
}

describe('analyzer list', () => {
  it('lists every analyzer file exactly once, named by its path', () => {
    const names = analyzers.map((a) => a.name).sort();
    expect(names).toEqual(analyzerFiles());
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every analyzer a positive integer version and at least one target', () => {
    for (const a of analyzers) {
      expect(Number.isInteger(a.version) && a.version > 0, a.name).toBe(true);
      expect(a.targets.length, a.name).toBeGreaterThan(0);
    }
  });
});
