import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { podSecurityControls } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

function controlFiles(): string[] {
  return readdirSync(join(here, 'controls'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

describe('Pod Security control list', () => {
  it('lists every control file exactly once, named by its path', () => {
    const ids = podSecurityControls.map((c) => c.id).sort();
    expect(ids).toEqual(controlFiles());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has the nineteen checks of pod-security-admission at Kubernetes 1.37', () => {
    const byLevel = (level: string) =>
      podSecurityControls
        .filter((c) => c.level === level)
        .map((c) => c.id)
        .sort();
    expect(byLevel('baseline')).toEqual([
      'appArmorProfile',
      'capabilities_baseline',
      'hostNamespaces',
      'hostPathVolumes',
      'hostPorts',
      'hostProbesAndHostLifecycle',
      'privileged',
      'procMount',
      'seLinuxOptions',
      'seccompProfile_baseline',
      'sysctls',
      'windowsHostProcess',
    ]);
    expect(byLevel('restricted')).toEqual([
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'procMount_restricted',
      'restrictedVolumes',
      'runAsNonRoot',
      'runAsUser',
      'seccompProfile_restricted',
    ]);
  });

  it('gives every control a title and revisions in strictly increasing version order', () => {
    for (const c of podSecurityControls) {
      expect(c.title, c.id).not.toBe('');
      expect(c.revisions.length, c.id).toBeGreaterThan(0);
      const versions = c.revisions.map((r) => r.minVersion);
      expect(
        versions.every((v, i) => Number.isInteger(v) && v >= 0 && (i === 0 || v > (versions[i - 1] ?? -1))),
        c.id,
      ).toBe(true);
    }
  });

  it('lets only restricted controls override, and only baseline controls', () => {
    const level = new Map(podSecurityControls.map((c) => [c.id, c.level]));
    for (const c of podSecurityControls) {
      for (const r of c.revisions) {
        for (const o of r.overrides ?? []) {
          expect(c.level, `${c.id} overrides ${o}`).toBe('restricted');
          expect(level.get(o), `${c.id} overrides ${o}`).toBe('baseline');
        }
      }
    }
  });
});

describe('Pod Security engine boundaries', () => {
  it('imports only its own modules and core/ (an engine takes plain objects and returns data)', () => {
    const files: string[] = [];
    for (const dir of ['.', 'controls']) {
      for (const f of readdirSync(join(here, dir))) {
        if (f.endsWith('.ts') && !f.endsWith('.test.ts')) files.push(join(here, dir, f));
      }
    }
    const offending: string[] = [];
    let imports = 0;
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
        imports++;
        const spec = m[1] ?? '';
        const target = join(dirname(file), spec);
        const ok =
          spec.startsWith('.') && (target.startsWith(here) || target.startsWith(join(here, '../../core/')));
        if (!ok) offending.push(`${file.slice(here.length + 1)} imports ${spec}`);
      }
    }
    expect(imports).toBeGreaterThan(60);
    expect(files.length).toBeGreaterThan(20);
    expect(offending).toEqual([]);
  });
});
