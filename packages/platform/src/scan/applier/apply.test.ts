import type { PackageSet } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import type { AnalyzerOutput } from '../analyzers/run.js';
import type { AppliedLayer } from './apply.js';
import { applyLayers, isUnder } from './apply.js';

function layer(diffId: string, sets: PackageSet[], extra: Partial<AppliedLayer> = {}): AppliedLayer {
  const outputs = new Map<string, AnalyzerOutput>([
    ['os/apk', { result: { packageSets: sets }, diagnostics: [] }],
  ]);
  return { diffId, outputs, whiteouts: [], opaqueDirs: [], ...extra };
}

const apk = (pkgs: [string, string][]): PackageSet => ({
  class: 'os-pkgs',
  type: 'apk',
  filePath: 'lib/apk/db/installed',
  packages: pkgs.map(([name, version]) => ({ name, version })),
});

const jar = (path: string): PackageSet => ({
  class: 'lang-pkgs',
  type: 'jar',
  filePath: path,
  packages: [{ name: 'g:a', version: '1' }],
});

describe('applying layers', () => {
  it('replaces a package set rewritten in a higher layer and keeps the layer that introduced each package', () => {
    const inv = applyLayers([
      layer('sha256:l1', [
        apk([
          ['musl', '1.2.3-r4'],
          ['busybox', '1.35.0-r29'],
        ]),
      ]),
      layer('sha256:l2', [
        apk([
          ['musl', '1.2.3-r4'],
          ['busybox', '1.35.0-r30'],
          ['curl', '8.0.0-r0'],
        ]),
      ]),
    ]);
    const pkgs = inv.packageSets[0]?.packages ?? [];
    expect(pkgs.map((p) => [p.name, p.version, p.layer?.diffId])).toEqual([
      ['musl', '1.2.3-r4', 'sha256:l1'],
      ['busybox', '1.35.0-r30', 'sha256:l2'],
      ['curl', '8.0.0-r0', 'sha256:l2'],
    ]);
  });

  it('removes sets whose file a higher layer whites out, including files below a whited-out directory', () => {
    const inv = applyLayers([
      layer('l1', [jar('app/lib/a.jar'), jar('app/lib/b.jar'), jar('opt/c.jar')]),
      layer('l2', [], { whiteouts: ['app/lib/a.jar', 'opt'] }),
    ]);
    expect(inv.packageSets.map((s) => s.filePath)).toEqual(['app/lib/b.jar']);
  });

  it('hides everything below an opaque directory from lower layers but keeps what the same layer adds', () => {
    const inv = applyLayers([
      layer('l1', [jar('app/a.jar'), jar('other/x.jar')]),
      layer('l2', [jar('app/new.jar')], { opaqueDirs: ['app'] }),
    ]);
    expect(inv.packageSets.map((s) => s.filePath).sort()).toEqual(['app/new.jar', 'other/x.jar']);
  });

  it('does not treat a sibling with a common prefix as below a whiteout', () => {
    expect(isUnder('app/lib-extra/x.jar', 'app/lib')).toBe(false);
    expect(isUnder('app/lib/x.jar', 'app/lib')).toBe(true);
    expect(isUnder('app/lib', 'app/lib')).toBe(true);
  });

  it('collects the diagnostics of every layer', () => {
    const l = layer('l1', []);
    (l.outputs as Map<string, AnalyzerOutput>).set('lang/jar', {
      result: {},
      diagnostics: [{ code: 'X', severity: 'warning', message: 'm' }],
    });
    expect(applyLayers([l]).diagnostics.map((d) => d.code)).toEqual(['X']);
  });
});
