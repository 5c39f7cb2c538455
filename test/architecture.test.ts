/**
 * The dependency rules of GUIDE.md, checked on every import in the source:
 * engines do not import each other or the adapters; report and api depend
 * only on core; core depends on nothing; nothing imports a package's tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'packages/platform/src');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'testdata') out.push(...files(p));
    } else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2]) as string);
  return out;
}

/** Top-level area of a file under platform/src: `scan`, `core`, `cli`… */
function area(file: string): string {
  return relative(src, file).split(sep)[0] as string;
}

const ENGINES = ['scan', 'policy', 'runtime', 'audit'];
const ADAPTERS = ['k8s', 'server', 'cli', 'export', 'alert'];
const FORBIDDEN_PACKAGES = ['node:http', 'node:https', '@kubernetes/client-node'];

function violations(): string[] {
  const out: string[] = [];
  for (const file of files(src)) {
    const from = area(file);
    for (const spec of imports(file)) {
      const rel = relative(root, file);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(src)) {
          out.push(`${rel} imports outside the package: ${spec}`);
          continue;
        }
        const to = area(target.endsWith('.js') ? target : `${target}/x`);
        if (to === from) continue;
        if (to === 'testing' && from !== 'testing') out.push(`${rel} imports test support: ${spec}`);
        if (from === 'core') out.push(`${rel}: core imports ${to}`);
        if (from === 'report' && to !== 'core') out.push(`${rel}: report imports ${to}`);
        if (ENGINES.includes(from) && (ENGINES.includes(to) || ADAPTERS.includes(to)))
          out.push(`${rel}: engine ${from} imports ${to}`);
      } else if (ENGINES.includes(from) && FORBIDDEN_PACKAGES.includes(spec)) {
        out.push(`${rel}: engine ${from} imports ${spec}`);
      } else if (from === 'core' && !spec.startsWith('node:')) {
        out.push(`${rel}: core imports package ${spec}`);
      }
    }
  }
  return out;
}

describe('dependency rules (GUIDE.md)', () => {
  it('has no import that crosses a layer boundary', () => {
    expect(violations()).toEqual([]);
  });

  it('keeps the api package free of platform imports and I/O', () => {
    const apiSrc = join(root, 'packages/api/src');
    const bad: string[] = [];
    for (const file of readdirSync(apiSrc)
      .map((f) => join(apiSrc, f))
      .filter((f) => f.endsWith('.ts'))) {
      for (const spec of imports(file))
        if (!spec.startsWith('.') && spec !== 'zod') bad.push(`${file}: ${spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('reads process.env only in config, cli and test support', () => {
    const bad = files(src)
      .filter((f) => !['config', 'cli', 'testing'].includes(area(f)))
      .filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(bad).toEqual([]);
  });
});
