import { describe, expect, it } from 'vitest';
import { nullLogger } from '../../core/logger.js';
import type { LayerEntry } from '../artifact/types.js';
import { LayerAnalysis } from './run.js';
import type { Analyzer } from './types.js';

function fileAnalyzer(name: string, wanted: string, seen: string[]): Analyzer {
  return {
    name,
    version: 1,
    targets: ['image'],
    mode: 'file',
    maxFileSize: 10,
    required: (p) => p.endsWith(wanted),
    analyze: (files) => {
      for (const f of files) seen.push(`${f.path}=${f.content.toString()}`);
      return {
        packageSets: files.map((f) => ({
          class: 'lang-pkgs' as const,
          type: 't',
          filePath: f.path,
          packages: [],
        })),
      };
    },
  };
}

const entry = (path: string, size: number, type: LayerEntry['type'] = 'file'): LayerEntry => ({
  path,
  type,
  size,
  mode: 0o644,
});

describe('running analyzers over one layer', () => {
  it('reads only the files some analyzer requires', async () => {
    const seen: string[] = [];
    const run = new LayerAnalysis([fileAnalyzer('lang/a', '.lock', seen)], {
      logger: nullLogger,
      scratchDir: '/tmp',
    });
    let reads = 0;
    const body = (s: string) => () => {
      reads++;
      return Promise.resolve(Buffer.from(s));
    };
    await run.visit(entry('x/a.lock', 3), body('abc'));
    await run.visit(entry('x/b.txt', 3), body('zzz'));
    const out = await run.finish();
    expect(reads).toBe(1);
    expect(seen).toEqual(['x/a.lock=abc']);
    expect(out.outputs.get('lang/a')?.result.packageSets?.map((s) => s.filePath)).toEqual(['x/a.lock']);
  });

  it('gives a group analyzer all its files at once, sorted by path', async () => {
    const calls: string[][] = [];
    const group: Analyzer = {
      name: 'os/g',
      version: 1,
      targets: ['image'],
      mode: 'group',
      required: (p) => p.startsWith('var/'),
      analyze: (files) => {
        calls.push(files.map((f) => f.path));
        return {};
      },
    };
    const run = new LayerAnalysis([group], { logger: nullLogger, scratchDir: '/tmp' });
    for (const p of ['var/z', 'var/a', 'etc/x'])
      await run.visit(entry(p, 1), () => Promise.resolve(Buffer.from('x')));
    await run.finish();
    expect(calls).toEqual([['var/a', 'var/z']]);
  });

  it('records whiteouts and opaque directories', async () => {
    const run = new LayerAnalysis([], { logger: nullLogger, scratchDir: '/tmp' });
    await run.visit(entry('etc/motd', 0, 'whiteout'), () => Promise.resolve(Buffer.alloc(0)));
    await run.visit(entry('opt/app', 0, 'opaque'), () => Promise.resolve(Buffer.alloc(0)));
    const out = await run.finish();
    expect(out.whiteouts).toEqual(['etc/motd']);
    expect(out.opaqueDirs).toEqual(['opt/app']);
  });

  it('skips a file over the analyzer limit with a counted warning, without reading it', async () => {
    const seen: string[] = [];
    const run = new LayerAnalysis([fileAnalyzer('lang/a', '.lock', seen)], {
      logger: nullLogger,
      scratchDir: '/tmp',
      layer: 'sha256:l',
    });
    await run.visit(entry('big.lock', 11), () => Promise.reject(new Error('must not be read')));
    const out = await run.finish();
    expect(seen).toEqual([]);
    expect(
      out.outputs.get('lang/a')?.diagnostics.map((d) => [d.code, d.location?.file, d.location?.layer]),
    ).toEqual([['FILE_TOO_LARGE', 'big.lock', 'sha256:l']]);
  });

  it('turns an analyzer exception into an error diagnostic and keeps the other analyzers', async () => {
    const seen: string[] = [];
    const broken: Analyzer = {
      ...fileAnalyzer('lang/broken', '.lock', []),
      analyze: () => {
        throw new Error('boom');
      },
    };
    const run = new LayerAnalysis([broken, fileAnalyzer('lang/a', '.lock', seen)], {
      logger: nullLogger,
      scratchDir: '/tmp',
    });
    await run.visit(entry('a.lock', 1), () => Promise.resolve(Buffer.from('x')));
    const out = await run.finish();
    expect(out.outputs.get('lang/broken')?.diagnostics[0]?.message).toMatch(/boom/);
    expect(seen).toEqual(['a.lock=x']);
  });
});
