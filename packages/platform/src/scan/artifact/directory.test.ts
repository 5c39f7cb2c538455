import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { walkDirectory } from './directory.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'palisade-dir-'));
  mkdirSync(join(root, 'a/b'), { recursive: true });
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'node_modules/x'), { recursive: true });
  writeFileSync(join(root, 'a/b/package-lock.json'), '{}');
  writeFileSync(join(root, '.git/config'), 'x');
  writeFileSync(join(root, 'node_modules/x/package.json'), '{}');
  writeFileSync(join(root, 'top.txt'), 'hello');
  symlinkSync('/etc/passwd', join(root, 'escape'));
  symlinkSync('.', join(root, 'loop'));
  return root;
}

describe('directory walk', () => {
  it('visits files with relative paths, skips .git, reports symlinks without following them', async () => {
    const root = tree();
    const seen: string[] = [];
    await walkDirectory(root, async (e, read) => {
      seen.push(`${e.type}:${e.path}`);
      if (e.path === 'top.txt') expect((await read()).toString()).toBe('hello');
    });
    expect(seen.sort()).toEqual([
      'file:a/b/package-lock.json',
      'file:node_modules/x/package.json',
      'file:top.txt',
      'symlink:escape',
      'symlink:loop',
    ]);
  });

  it('honours skip dirs', async () => {
    const seen: string[] = [];
    await walkDirectory(tree(), (e) => void seen.push(e.path), { skipDirs: ['node_modules'] });
    expect(seen.some((p) => p.startsWith('node_modules'))).toBe(false);
  });

  it('stops at the entry bound with a clear error', async () => {
    await expect(walkDirectory(tree(), () => undefined, { maxEntries: 2 })).rejects.toThrow(
      /more than 2 entries/,
    );
  });

  it('fails clearly on a missing directory', async () => {
    await expect(walkDirectory('/nonexistent/palisade', () => undefined)).rejects.toBeInstanceOf(
      PalisadeError,
    );
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(walkDirectory(tree(), () => undefined, { signal: ac.signal })).rejects.toThrow(/cancelled/);
  });
});
