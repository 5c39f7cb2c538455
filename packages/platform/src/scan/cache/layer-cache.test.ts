import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nullLogger } from '../../core/logger.js';
import type { AnalyzerOutput } from '../analyzers/run.js';
import { SqliteLayerCache } from './layer-cache.js';

const out = (name: string): AnalyzerOutput => ({
  result: {
    packageSets: [
      { class: 'os-pkgs', type: 'apk', filePath: 'lib/apk/db/installed', packages: [{ name, version: '1' }] },
    ],
  },
  diagnostics: [],
});

describe('layer cache (SQLite)', () => {
  it('returns stored results for the same analyzer version and nothing for another version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cache-'));
    const cache = SqliteLayerCache.open(join(dir, 'layers.sqlite'), nullLogger);
    cache.put(
      'sha256:l1',
      { whiteouts: ['a'], opaqueDirs: [] },
      new Map([['os/apk', out('musl')]]),
      new Map([['os/apk', 2]]),
    );
    const hit = cache.get('sha256:l1', [{ name: 'os/apk', version: 2 }]);
    expect(hit.meta).toEqual({ whiteouts: ['a'], opaqueDirs: [] });
    expect(hit.outputs.get('os/apk')).toEqual(out('musl'));
    expect(cache.get('sha256:l1', [{ name: 'os/apk', version: 3 }]).outputs.size).toBe(0);
    expect(cache.get('sha256:other', [{ name: 'os/apk', version: 2 }]).meta).toBeUndefined();
    cache.close();
  });

  it('survives a reopen (results are on disk)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cache-'));
    const path = join(dir, 'layers.sqlite');
    const a = SqliteLayerCache.open(path, nullLogger);
    a.put(
      'sha256:l1',
      { whiteouts: [], opaqueDirs: [] },
      new Map([['os/apk', out('zlib')]]),
      new Map([['os/apk', 1]]),
    );
    a.close();
    const b = SqliteLayerCache.open(path, nullLogger);
    expect(b.get('sha256:l1', [{ name: 'os/apk', version: 1 }]).outputs.get('os/apk')).toEqual(out('zlib'));
    b.close();
  });

  it('replaces a corrupt cache file instead of failing the scan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cache-'));
    const path = join(dir, 'layers.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const cache = SqliteLayerCache.open(path, nullLogger);
    cache.put(
      'sha256:l1',
      { whiteouts: [], opaqueDirs: [] },
      new Map([['os/apk', out('x')]]),
      new Map([['os/apk', 1]]),
    );
    expect(cache.get('sha256:l1', [{ name: 'os/apk', version: 1 }]).outputs.size).toBe(1);
    cache.close();
  });
});
